"""The space's retriever as a LlamaIndex `BaseRetriever`: `retrieve("…")` gives `NodeWithScore`s, and LlamaIndex's
instrumentation (its retrieval events and spans) sees every search. Extra phrasings of the question (its
translation) come as the query bundle's `custom_embedding_strs` and are searched in the same Qdrant request."""
from __future__ import annotations

import asyncio

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle

from rag.retrieval.hybrid import HybridSearch


class SpaceRetriever(BaseRetriever):
    def __init__(self, search: HybridSearch, space: str, top_k: int) -> None:
        super().__init__()
        self.search, self.space, self.top_k = search, space, top_k

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        phrasings = [p for p in query_bundle.embedding_strs if p] or [query_bundle.query_str]
        return self.search.retrieve(self.space, phrasings[0], self.top_k, tuple(phrasings[1:])).nodes

    async def _aretrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        """Embedding and the store block: they run in a worker thread, never on the event loop."""
        return await asyncio.to_thread(self._retrieve, query_bundle)
