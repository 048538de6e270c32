"""The one facade every surface calls (UI, REST, OpenAI route, CLI): spaces, documents, ingest with typed progress,
answers as typed events through the space's LlamaIndex chat engine, and health. It takes public types and gives
public types; `build_service` (rag/build.py) composes it."""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterable

from config.settings import Settings
from rag.access.facade import Access
from rag.answer.chat_engine import SpaceChatEngine, to_source
from rag.answer.history import clean_history
from rag.answer.query_engine import SpaceQueryEngine
from rag.answer.space_facts import SpaceFacts
from rag.embedding.dense import _SyncEmbedding
from rag.ingest.pipeline import Ingestor
from rag.library import Library
from rag.llm.local_server import LocalLLMServer
from rag.llm.pool import LLMPool
from rag.retrieval.hybrid import HybridSearch
from rag.retrieval.retriever import SpaceRetriever
from rag.store.originals import Originals
from rag.store.qdrant_store import Store
from rag.telemetry import Telemetry
from rag.text.redact import redact_text, redact_url
from rag.types import Answer, AnswerEvent, Generation, Source

log = logging.getLogger(__name__)


def default_top_k(context_window: int) -> int:
    """Sources per answer by the model's context. On the dev set with the embedded Qwen 0.5B (4k context), 3, 4
    and 5 sources gave the same answer accuracy (0.38) and 3 the shortest wait: time to first token p50 42.7 s
    against 49.0 s at 5 (python -m bench.source_count). Larger contexts keep 5."""
    return 3 if context_window <= 4096 else 5


async def _nothing() -> list:
    return []


class RagService(Library):
    def __init__(self, settings: Settings, *, store: Store, embedder: _SyncEmbedding, search: HybridSearch,
                 ingestor: Ingestor, llm: LLMPool | None, originals: Originals,
                 local_llm: LocalLLMServer | None = None, telemetry: Telemetry | None = None) -> None:
        self.settings, self.store, self.embedder, self.search = settings, store, embedder, search
        self.originals = originals
        self.ingestor, self.llm, self.local_llm = ingestor, llm, local_llm
        self.telemetry = telemetry or (llm.telemetry if llm else Telemetry())   # Prometheus metrics: its .registry
        # users, roles, API keys, sessions and share links, and the one permission check
        self.access = Access(store, self.telemetry, settings.session_secret.get_secret_value())
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

    # --- LlamaIndex engines -----------------------------------------------------------------------
    def retriever(self, space: str, top_k: int | None = None, files: tuple[str, ...] = ()) -> SpaceRetriever:
        """A LlamaIndex retriever over the space (or only over `files`, documents of it)."""
        return SpaceRetriever(self.search, space, top_k or self.top_k, files)

    def chat_engine(self, space: str, top_k: int | None = None, files: tuple[str, ...] = ()) -> SpaceChatEngine:
        """A LlamaIndex chat engine over the space (stream_chat, achat, ...); it keeps its own history."""
        return SpaceChatEngine(self.retriever(space, top_k, files), self.llm, self.facts,
                               self.settings.query_translation, self.max_query_chars, self.telemetry)

    def query_engine(self, space: str, top_k: int | None = None) -> SpaceQueryEngine:
        """A LlamaIndex query engine over the space: query("…") -> Response with source_nodes."""
        return SpaceQueryEngine(chat_engine=self.chat_engine(space, top_k))

    # --- asking -----------------------------------------------------------------------------------
    def _usable(self, space: str, files: Iterable[str] | None) -> tuple[str, ...]:
        self.space(space)
        return self.check_files(space, files or ())

    async def astream(self, space: str, question: str, history: list | None = None, top_k: int | None = None,
                      generation: Generation | None = None,
                      files: Iterable[str] | None = None) -> AsyncIterator[AnswerEvent]:
        """The answer as typed events (SourcesFound, Token..., [AnswerFailed], AnswerDone). `files`: search only
        these documents of the space. Raises SpaceNotFound, EmbedderMismatch or DocumentNotFound before the first
        event; later failures end the stream with AnswerFailed."""
        only = await asyncio.to_thread(self._usable, space, files)
        async for event in self.chat_engine(space, top_k, only).astream_events(question, history, generation):
            yield event

    async def ask(self, space: str, question: str, history: list | None = None, top_k: int | None = None,
                  generation: Generation | None = None, files: Iterable[str] | None = None) -> Answer:
        only = await asyncio.to_thread(self._usable, space, files)
        return await self.chat_engine(space, top_k, only).answer(question, history, generation)

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
