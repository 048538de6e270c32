"""The space's retriever as a LlamaIndex `BaseRetriever`: `retrieve("…")` gives `NodeWithScore`s, and LlamaIndex's
instrumentation (its retrieval events and spans) sees every search. Extra phrasings of the question (its
translation) come as the query bundle's `custom_embedding_strs` and are searched in the same Qdrant request."""
from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle

from rag.retrieval.hybrid import HybridSearch

# enough threads for every question in flight to wait on the embedder at once, so that it embeds them as one batch
# (asyncio's default pool has 6 threads on 2 cores: at 64 questions at once, batches of 6 and a queue)
_RETRIEVAL_THREADS = ThreadPoolExecutor(max_workers=64, thread_name_prefix="retrieve")


class SpaceRetriever(BaseRetriever):
    def __init__(self, search: HybridSearch, space: str, top_k: int, files: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.search, self.space, self.top_k = search, space, top_k
        self.files = files     # search only these documents of the space (none: all)
        self.cross_lingual = False   # set per question by the chat engine: no abstention gate then

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        phrasings = [p for p in query_bundle.embedding_strs if p] or [query_bundle.query_str]
        return self.search.retrieve(self.space, phrasings[0], self.top_k, tuple(phrasings[1:]), self.files,
                                    gate=not self.cross_lingual).nodes

    async def _aretrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        """Embedding and the store block: they run in a worker thread, never on the event loop."""
        return await asyncio.get_running_loop().run_in_executor(_RETRIEVAL_THREADS, self._retrieve, query_bundle)
