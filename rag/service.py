"""The one facade the UI, the HTTP API and the CLI call: spaces, ingest (with progress), documents, ask (streamed),
health. It owns the store, the embedder, the LLM pool and, on embedded defaults, the llama.cpp child process."""
from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import AsyncIterator, Iterable

from config.settings import Settings
from rag.embedding.dense import build_embedder
from rag.answer.chat_engine import Answer, Engine
from rag.retrieval.rerank import build_reranker
from rag.retrieval.hybrid import RetrievalOptions, Retriever
from rag.ingest.pipeline import IngestResult, Ingestor, Progress
from rag.llm.pool import LLMPool
from rag.llm.local_server import LocalLLMServer
from rag.text.redact import redact_text, redact_url
from rag.store.qdrant_store import DocRecord, SpaceExists, SpaceInfo, SpaceMismatch, SpaceNotFound, Store

log = logging.getLogger(__name__)


def default_top_k(context_window: int) -> int:
    """Sources per answer by the model's context. On the dev set with the embedded Qwen 0.5B (4k context), 3, 4
    and 5 sources gave the same answer accuracy (0.38) and 3 the shortest wait: time to first token p50 42.7 s
    against 49.0 s at 5 (python -m bench.source_count). Larger contexts keep 5."""
    return 3 if context_window <= 4096 else 5


class RagService:
    def __init__(self, settings: Settings, start_llm: bool = True) -> None:
        self.settings = settings
        self.started = time.time()
        self.store = Store(settings.qdrant_path, settings.qdrant_url, settings.qdrant_api_key)
        self.embedder = build_embedder(settings.embed_model, settings.embed_base_url, settings.embed_api_key,
                                       settings.embed_batch_size, settings.embed_query_prefix,
                                       settings.embed_passage_prefix)
        self.ingestor = Ingestor(self.store, self.embedder, settings.chunk_size, settings.chunk_overlap,
                                 settings.max_file_mb)
        self.local_llm: LocalLLMServer | None = None
        self.llm: LLMPool | None = None
        options = RetrievalOptions(settings.retrieval_mode, settings.retrieval_candidates, settings.sparse_weight,
                                   settings.rrf_k, settings.max_chunks_per_doc, settings.rerank_candidates,
                                   settings.merge_scan, settings.merge_max_chunks)
        reranker = build_reranker(settings.rerank, self._rerank_llm)
        self.engine = Engine(Retriever(self.store, self.embedder, options, reranker), None, settings.top_k or 5,
                             settings.query_translation)
        self.recover(0.0 if not settings.qdrant_url else 600.0)
        if start_llm:
            self.start_llm()

    # --- lifecycle --------------------------------------------------------------------------------
    def start_llm(self) -> None:
        s = self.settings
        urls, model = s.llm_base_urls, s.llm_model
        if not urls:
            models_dir = Path(s.qdrant_path).parent / "models"
            self.local_llm = LocalLLMServer(s.local_llm_model, models_dir, s.local_llm_threads, s.local_llm_ctx)
            self.local_llm.start(s.local_llm_start_timeout_s)
            urls, model = [self.local_llm.base_url], self.local_llm.alias
        self.llm = LLMPool(urls, model, s.llm_api_key, s.llm_timeout_s, s.llm_max_tokens, s.llm_temperature,
                           s.llm_context_window if not self.local_llm else s.local_llm_ctx,
                           self.local_llm.chars_per_token if self.local_llm else s.llm_chars_per_token,
                           s.llm_health_timeout_s)
        self.engine.llm = self.llm
        self.engine.top_k = s.top_k or default_top_k(self.llm.context_window)

    @property
    def top_k(self) -> int:
        """Sources per answer when a request does not say."""
        return self.engine.top_k

    def _rerank_llm(self):
        return self.llm.endpoints[0].llm if self.llm else None

    def close(self) -> None:
        if self.local_llm:
            self.local_llm.stop()
        self.store.close()

    # --- spaces -----------------------------------------------------------------------------------
    def list_spaces(self) -> list[SpaceInfo]:
        return self.store.list_spaces()

    def create_space(self, name: str) -> SpaceInfo:
        """A new space; SpaceExists when one of that name is there already."""
        info, created = self.store.create_space(name, self.embedder.model_id, self.embedder.dim)
        if not created:
            raise SpaceExists(f"a space named {info.name!r} already exists")
        return info

    def delete_space(self, name: str) -> bool:
        return self.store.delete_space(name)

    def _usable_space(self, name: str, create: bool = False) -> SpaceInfo:
        info = self.store.get_space(name)
        if info is None:
            if not create:
                raise SpaceNotFound(f"no space named {name!r}")
            info, _ = self.store.create_space(name, self.embedder.model_id, self.embedder.dim)
        if info.embed_model != self.embedder.model_id or info.dim != self.embedder.dim:
            raise SpaceMismatch(f"space {name!r} was indexed with {info.embed_model} ({info.dim}-d) but the app now "
                             f"embeds with {self.embedder.model_id} ({self.embedder.dim}-d); re-index the space or "
                             f"switch EMBED_MODEL back")
        return info

    # --- documents --------------------------------------------------------------------------------
    def ingest_files(self, space: str, files: Iterable[tuple[str, Path]],
                     progress: Progress | None = None) -> list[IngestResult]:
        """Index (display name, path) pairs into `space`, creating it if needed; one result per file."""
        self._usable_space(space, create=True)
        return self.ingestor.ingest_many(space, files, progress)

    def ingest_bytes(self, space: str, name: str, data: bytes) -> IngestResult:
        self._usable_space(space, create=True)
        return self.ingestor.ingest_bytes(space, name, data)

    def recover(self, older_than_s: float = 0.0) -> list[DocRecord]:
        """Remove documents a killed process left half-written. Local mode owns the store alone, so at start every
        "indexing" record is stale; with a shared Qdrant server only those without a heartbeat for a while are."""
        stale = self.store.stale_documents(older_than_s)
        for doc in stale:
            log.warning("removing half-indexed %s from space %s", doc.file_name, doc.space)
            self.store.delete_document(doc.space, doc.doc_id)
        return stale

    def reindex(self, space: str, progress: Progress | None = None) -> dict:
        """Re-embed every chunk of a space with the current embedder into a new collection, then switch to it.
        Until the switch, the space keeps answering from the old vectors."""
        from rag.ingest.reindex import reindex_space

        return reindex_space(self.store, self.embedder, self.ingestor.chunker, space, progress)

    def documents(self, space: str) -> list[DocRecord]:
        return self.store.list_documents(space)

    def delete_document(self, space: str, file_name: str) -> int:
        docs = self.store.find_document(space, file_name=file_name)
        for doc in docs:
            self.store.delete_document(space, doc.doc_id)
        return len(docs)

    # --- asking -----------------------------------------------------------------------------------
    async def astream(self, space: str, question: str, history: list[dict] | None = None,
                      top_k: int | None = None) -> AsyncIterator[dict]:
        await asyncio.to_thread(self._usable_space, space)
        async for event in self.engine.astream(space, question, history, top_k):
            yield event

    async def ask(self, space: str, question: str, history: list[dict] | None = None,
                  top_k: int | None = None) -> Answer:
        await asyncio.to_thread(self._usable_space, space)
        return await self.engine.ask(space, question, history, top_k)

    def retrieve(self, space: str, question: str, top_k: int | None = None):
        """Sources for a query as given (no translation, no LLM)."""
        self._usable_space(space)
        return self.engine.retrieve(space, question, top_k)

    async def find_sources(self, space: str, question: str, history: list[dict] | None = None,
                           top_k: int | None = None):
        """Sources as the chat finds them (follow-up context, translation); returns (sources, timings)."""
        self._usable_space(space)
        return await self.engine.find_sources(space, question, history, top_k)

    # --- health -----------------------------------------------------------------------------------
    async def health(self) -> dict:
        """LLM, store and embedder status. Nothing here waits on the model lock or the embedder: a busy LLM
        (generating, or too loaded to answer the probe in time while answers are in flight) is healthy."""
        probe = (lambda _endpoint: self.local_llm.probe()) if self.local_llm else None
        llm = await self.llm.health(probe) if self.llm else []
        try:
            spaces = len(await asyncio.to_thread(self.store.list_spaces))
            store = {"ok": True, "location": redact_url(self.store.location), "spaces": spaces}
        except Exception as err:
            store = {"ok": False, "error": redact_text(f"{type(err).__name__}: {err}")}
            log.warning("store health check failed: %s", store["error"])
        embedder = {"ok": True, "model": redact_text(self.embedder.model_id), "dim": self.embedder.dim}
        llm_ok = bool(llm) and any(e["ok"] for e in llm)
        state = ("busy" if any(e["state"] == "busy" for e in llm) else "ok") if llm_ok else "down"
        status = "ok" if llm_ok and store["ok"] and embedder["ok"] else "degraded"
        return {"status": status, "llm": {"ok": llm_ok, "state": state, "embedded": self.local_llm is not None,
                                          "endpoints": llm},
                "store": store, "embedder": embedder, "uptime_s": round(time.time() - self.started, 1)}
