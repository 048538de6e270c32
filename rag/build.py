"""The composition root: `build_service(settings)` builds the parts in dependency order (the LLM pool, the
embedder, the store, retrieval, ingestion) and hands them, complete, to the facade. Nothing is half-built: each
part gets what it needs in its constructor. Options come from the settings by name."""
from __future__ import annotations

import logging

from config.settings import Settings
from rag.embedding.dense import build_embedder
from rag.errors import StoreError
from rag.ingest.pipeline import Ingestor
from rag.ingest.sections import ReadOptions
from rag.llm.local_server import LocalLLMServer
from rag.llm.pool import LLMPool
from rag.llm.pooled_llm import PooledLLM
from rag.llm.upstream_metrics import UpstreamMetrics
from rag.retrieval.hybrid import HybridSearch, RetrievalOptions
from rag.retrieval.rerank import build_reranker
from rag.service import RagService
from rag.store.originals import Originals
from rag.store.qdrant_store import Store

log = logging.getLogger(__name__)


def build_llm(settings: Settings) -> tuple[LLMPool, LocalLLMServer | None]:
    """The pool over LLM_BASE_URL, or over the embedded llama.cpp server (started here) when none is set."""
    s = settings
    urls, model, local = s.llm_base_urls, s.llm_model, None
    context_window, chars_per_token = s.llm_context_window, s.llm_chars_per_token
    if not urls:
        local = LocalLLMServer(s.local_llm_model, s.models_dir, s.local_llm_threads, s.local_llm_ctx)
        local.start(s.local_llm_start_timeout_s)
        local.supervise(s.local_llm_start_timeout_s)   # a crashed child is started again; /health says so meanwhile
        urls, model = [local.base_url], local.alias
        context_window, chars_per_token = s.local_llm_ctx, local.chars_per_token
    pool = LLMPool(urls, model, api_key=s.llm_api_key.get_secret_value(), timeout=s.llm_timeout_s,
                   max_tokens=s.llm_max_tokens, temperature=s.llm_temperature, context_window=context_window,
                   chars_per_token=chars_per_token, health_timeout=s.llm_health_timeout_s)
    return pool, local


def retrieval_options(settings: Settings) -> RetrievalOptions:
    s = settings
    return RetrievalOptions(mode=s.retrieval_mode, candidates=s.retrieval_candidates, sparse_weight=s.sparse_weight,
                            rrf_k=s.rrf_k, max_per_doc=s.max_chunks_per_doc, rerank_candidates=s.rerank_candidates,
                            merge_scan=s.merge_scan, merge_max_chunks=s.merge_max_chunks,
                            kind_boost=s.kind_boost, min_coverage=s.min_coverage)


def build_service(settings: Settings, start_llm: bool = True) -> RagService:
    """The whole engine on these settings. `start_llm=False` leaves the LLM out (indexing and retrieval only:
    the CLI's index command, retrieval evaluation); asking then answers with an `llm_unavailable` error."""
    s = settings
    pool, local = build_llm(s) if start_llm else (None, None)
    try:
        embedder = build_embedder(s.embed_model, s.embed_base_url, s.embed_api_key.get_secret_value(),
                                  s.embed_batch_size, s.embed_query_prefix, s.embed_passage_prefix)
        store = Store(s.qdrant_path, s.qdrant_url, s.qdrant_api_key.get_secret_value(), s.qdrant_shards,
                      s.qdrant_replicas, s.min_free_disk_mb)
    except BaseException:
        if local:
            local.stop()
        raise
    reranker = build_reranker(s.rerank, PooledLLM(pool) if pool else None)
    search = HybridSearch(store, embedder, retrieval_options(s), reranker)
    originals = Originals(s.originals_url)
    ingestor = Ingestor(store, embedder, s.chunk_size, s.chunk_overlap, s.max_file_mb,
                        ReadOptions(s.ocr_enabled, s.ocr_langs, s.max_table_rows), originals)
    service = RagService(s, store=store, embedder=embedder, search=search, ingestor=ingestor, llm=pool,
                         originals=originals, local_llm=local)
    if pool is not None and s.metrics_llm_upstream:
        service.telemetry.registry.register(UpstreamMetrics(pool))
    try:
        service.access.ensure_admin(s.admin_user, s.admin_password.get_secret_value())
        service.recover(s.stale_ingest_s if s.qdrant_url else 0.0)
    except StoreError as err:
        if not store.is_server:   # the embedded store is this process's own: nothing would work
            raise
        log.warning("start-up work on the store is left undone (%s); the app starts, its requests answer 503 "
                    "until the server is reached", err)
    return service
