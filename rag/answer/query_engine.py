"""The answer path of one space as a LlamaIndex query engine: `query("…")` gives a `Response` whose text is the
cited answer and whose `source_nodes` are the excerpts it was given, numbered as its [n] markers. A question that
gets no complete answer raises the engine's error (LLMUnavailable, LLMIncomplete, ...)."""
from __future__ import annotations

from llama_index.core.base.response.schema import Response
from llama_index.core.query_engine import CustomQueryEngine

from rag.answer.chat_engine import SpaceChatEngine
from rag.answer.sync_bridge import run_sync


class SpaceQueryEngine(CustomQueryEngine):
    chat_engine: SpaceChatEngine

    def custom_query(self, query_str: str) -> Response:
        return run_sync(self.acustom_query(query_str))

    async def acustom_query(self, query_str: str) -> Response:
        reply = await self.chat_engine.achat(query_str, chat_history=[])
        return Response(response=reply.response, source_nodes=reply.source_nodes, metadata=reply.metadata)
