"""The one facade every surface calls (UI, REST, OpenAI route, CLI): spaces, documents, ingest with typed progress,
answers as typed events through the space's LlamaIndex chat engine, and health. It takes public types and gives
public types; `build_service` (rag/build.py) composes it."""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

from config.settings import Settings
from rag.answer.chat_engine import SpaceChatEngine, to_source
from rag.answer.history import clean_history
from rag.answer.query_engine import SpaceQueryEngine
from rag.answer.space_facts import SpaceFacts
from rag.embedding.dense import _SyncEmbedding
from rag.errors import DocumentNotFound, EmbedderMismatch, SpaceExists, SpaceNotFound
from rag.ingest.pipeline import Ingestor
from rag.llm.local_server import LocalLLMServer
from rag.llm.pool import LLMPool
from rag.retrieval.hybrid import HybridSearch
from rag.retrieval.retriever import SpaceRetriever
from rag.store.qdrant_store import DocRecord, SpaceInfo, Store
from rag.telemetry import Telemetry
from rag.text.redact import redact_text, redact_url
from rag.types import (
    Answer,
    AnswerEvent,
    Document,
    Generation,
    IngestProgress,
    IngestResult,
    ReindexResult,
    Source,
    Space,
)

log = logging.getLogger(__name__)


def default_top_k(context_window: int) -> int:
    """Sources per answer by the model's context. On the dev set with the embedded Qwen 0.5B (4k context), 3, 4
    and 5 sources gave the same answer accuracy (0.38) and 3 the shortest wait: time to first token p50 42.7 s
    against 49.0 s at 5 (python -m bench.source_count). Larger contexts keep 5."""
    return 3 if context_window <= 4096 else 5


async def _nothing() -> list:
    return []


def _space(info: SpaceInfo) -> Space:
    return Space(name=info.name, embed_model=info.embed_model, dim=info.dim, created=info.created)


def _document(d: DocRecord) -> Document:
    return Document(name=d.file_name, file_type=d.file_type, size=d.size, pages=d.pages, chunks=d.chunks,
                    added=d.added, title=d.title, language=d.lang, notes=d.notes)


class RagService:
    def __init__(self, settings: Settings, *, store: Store, embedder: _SyncEmbedding, search: HybridSearch,
                 ingestor: Ingestor, llm: LLMPool | None, local_llm: LocalLLMServer | None = None,
                 telemetry: Telemetry | None = None) -> None:
        self.settings, self.store, self.embedder, self.search = settings, store, embedder, search
        self.ingestor, self.llm, self.local_llm = ingestor, llm, local_llm
        self.telemetry = telemetry or (llm.telemetry if llm else Telemetry())   # Prometheus metrics: its .registry
        self.facts = SpaceFacts(store)
        self.started = time.time()
        window = llm.context_window if llm else settings.llm_context_window
        self.top_k: int = settings.top_k or default_top_k(window)   # sources per answer when a request does not say
        # what is searched is cut to what the embedder reads (its token limit, at up to 4 characters a token)
        self.max_query_chars = int(getattr(embedder, "max_tokens", 512)) * 4

    def close(self) -> None:
        if self.local_llm:
            self.local_llm.stop()
        self.store.close()
        close_embedder = getattr(self.embedder, "close", None)
        if close_embedder is not None:
            close_embedder()

    # --- spaces -----------------------------------------------------------------------------------
    def list_spaces(self) -> list[Space]:
        return [_space(i) for i in self.store.list_spaces()]

    def create_space(self, name: str) -> Space:
        """A new space; SpaceExists when one of that name is there already, InvalidSpaceName for a bad name."""
        info, created = self.store.create_space(name, self.embedder.model_id, self.embedder.dim)
        if not created:
            raise SpaceExists(info.name)
        return _space(info)

    def delete_space(self, name: str) -> bool:
        """Delete the space with its documents (True); SpaceNotFound when there is none."""
        if not self.store.delete_space(name):
            raise SpaceNotFound(name)
        return True

    def space(self, name: str, create: bool = False) -> Space:
        """The space, checked usable: SpaceNotFound (unless `create`), EmbedderMismatch when it was indexed with
        another embedding model than the app now uses."""
        info = self.store.get_space(name)
        if info is None:
            if not create:
                raise SpaceNotFound(name)
            info, _ = self.store.create_space(name, self.embedder.model_id, self.embedder.dim)
        if info.embed_model != self.embedder.model_id or info.dim != self.embedder.dim:
            raise EmbedderMismatch(f"space {name!r} was indexed with {info.embed_model} ({info.dim}-d) but the app "
                                   f"now embeds with {self.embedder.model_id} ({self.embedder.dim}-d); re-index "
                                   f"the space or switch EMBED_MODEL back")
        return _space(info)

    # --- documents --------------------------------------------------------------------------------
    def ingest_files(self, space: str, files: Iterable[tuple[str, Path]],
                     progress: IngestProgress | None = None) -> list[IngestResult]:
        """Index (display name, path) pairs into `space`, creating it if needed; one result per file."""
        self.space(space, create=True)
        results = self.ingestor.ingest_many(space, files, progress)
        for result in results:
            self.telemetry.ingested(result)
        return results

    def ingest_bytes(self, space: str, name: str, data: bytes) -> IngestResult:
        self.space(space, create=True)
        result = self.ingestor.ingest_bytes(space, name, data)
        self.telemetry.ingested(result)
        return result

    def recover(self, older_than_s: float = 0.0) -> list[str]:
        """Remove documents a killed process left half-written; returns their names. Local mode owns the store
        alone, so at start every "indexing" record is stale; with a shared Qdrant server only those without a
        heartbeat for STALE_INGEST_S are."""
        stale = self.store.stale_documents(older_than_s)
        for doc in stale:
            log.warning("removing half-indexed %s from space %s", doc.file_name, doc.space)
            self.store.delete_document(doc.space, doc.doc_id)
        return [d.file_name for d in stale]

    def reindex(self, space: str, progress: IngestProgress | None = None) -> ReindexResult:
        """Re-embed every chunk of a space with the current embedder into a new collection, then switch to it.
        Until the switch, the space keeps answering from the old vectors."""
        from rag.ingest.reindex import reindex_space

        return reindex_space(self.store, self.embedder, self.ingestor.chunker, space, progress)

    def documents(self, space: str) -> list[Document]:
        """The space's documents that are fully indexed."""
        if self.store.get_space(space) is None:
            raise SpaceNotFound(space)
        return [_document(d) for d in self.store.ready_documents(space)]

    def count_chunks(self, space: str) -> int:
        return self.store.count_chunks(space)

    def delete_document(self, space: str, name: str) -> int:
        """Delete every version of document `name`; DocumentNotFound when there is none."""
        if self.store.get_space(space) is None:
            raise SpaceNotFound(space)
        docs = self.store.find_document(space, file_name=name)
        if not docs:
            raise DocumentNotFound(f"no document {name!r} in space {space!r}")
        for doc in docs:
            self.store.delete_document(space, doc.doc_id)
        return len(docs)

    # --- LlamaIndex engines -----------------------------------------------------------------------
    def retriever(self, space: str, top_k: int | None = None) -> SpaceRetriever:
        return SpaceRetriever(self.search, space, top_k or self.top_k)

    def chat_engine(self, space: str, top_k: int | None = None) -> SpaceChatEngine:
        """A LlamaIndex chat engine over the space (stream_chat, achat, ...); it keeps its own history."""
        return SpaceChatEngine(self.retriever(space, top_k), self.llm, self.facts, self.settings.query_translation,
                               self.max_query_chars, self.telemetry)

    def query_engine(self, space: str, top_k: int | None = None) -> SpaceQueryEngine:
        """A LlamaIndex query engine over the space: query("…") -> Response with source_nodes."""
        return SpaceQueryEngine(chat_engine=self.chat_engine(space, top_k))

    # --- asking -----------------------------------------------------------------------------------
    async def astream(self, space: str, question: str, history: list | None = None, top_k: int | None = None,
                      generation: Generation | None = None) -> AsyncIterator[AnswerEvent]:
        """The answer as typed events (SourcesFound, Token..., [AnswerFailed], AnswerDone). Raises SpaceNotFound or
        EmbedderMismatch before the first event; later failures end the stream with AnswerFailed."""
        await asyncio.to_thread(self.space, space)
        async for event in self.chat_engine(space, top_k).astream_events(question, history, generation):
            yield event

    async def ask(self, space: str, question: str, history: list | None = None, top_k: int | None = None,
                  generation: Generation | None = None) -> Answer:
        await asyncio.to_thread(self.space, space)
        return await self.chat_engine(space, top_k).answer(question, history, generation)

    def retrieve(self, space: str, question: str, top_k: int | None = None) -> list[Source]:
        """Sources for a query as given (no translation, no LLM)."""
        self.space(space)
        nodes = self.retriever(space, top_k).retrieve(question)
        return [to_source(i, n) for i, n in enumerate(nodes, start=1)]

    async def find_sources(self, space: str, question: str, history: list | None = None,
                           top_k: int | None = None) -> tuple[list[Source], dict]:
        """Sources as the chat finds them (follow-up context, translation); returns (sources, timings)."""
        await asyncio.to_thread(self.space, space)
        nodes, timings = await self.chat_engine(space, top_k).find_nodes(question, clean_history(history))
        return [to_source(i, n) for i, n in enumerate(nodes, start=1)], timings

    # --- health -----------------------------------------------------------------------------------
    async def _store_health(self) -> dict:
        try:
            spaces = len(await asyncio.to_thread(self.store.list_spaces))
            return {"ok": True, "location": redact_url(self.store.location), "spaces": spaces}
        except Exception as err:
            error = redact_text(f"{type(err).__name__}: {err}")
            log.warning("store health check failed: %s", error)
            return {"ok": False, "error": error}

    async def health(self) -> dict:
        """LLM, store and embedder status. Nothing here waits on the model lock or the embedder: a busy LLM
        (generating, or too loaded to answer the probe in time while answers are in flight) is healthy."""
        local = self.local_llm
        probe = (lambda _endpoint: local.probe()) if local else None
        llm, store = await asyncio.gather(self.llm.health(probe) if self.llm else _nothing(), self._store_health())
        embedder = {"ok": True, "model": redact_text(self.embedder.model_id), "dim": self.embedder.dim}
        llm_ok = bool(llm) and any(e["ok"] for e in llm)
        state = ("busy" if any(e["state"] == "busy" for e in llm) else "ok") if llm_ok else "down"
        status = "ok" if llm_ok and store["ok"] and embedder["ok"] else "degraded"
        return {"status": status, "llm": {"ok": llm_ok, "state": state, "embedded": local is not None,
                                          "endpoints": llm},
                "store": store, "embedder": embedder, "uptime_s": round(time.time() - self.started, 1)}
