"""Retrieval in a space: dense + sparse (BM25-style) search fused in Qdrant, then diversity, then an optional rerank.

One Qdrant request does the search: two prefetches (the query's dense embedding against `text-dense`, its sparse
vector against `text-sparse-new`, whose IDF Qdrant keeps) fused by weighted Reciprocal Rank Fusion. The same
request runs on the embedded store (Qdrant Edge) and on a Qdrant server. Before it, the abstention gate
(rag/retrieval/coverage.py, off unless `min_coverage`): a question whose words the space does not hold finds nothing.
Then:

* chunks of documents still being written are dropped (they become visible when the document is complete);
* documents of the kind the question names ("in the chat") are raised (rag/retrieval/doc_kinds.py);
* rerank (off by default): the LLM or a configured cross-encoder orders the first candidates;
* merge: neighbouring chunks of one document found among the first candidates become one source, in document
  order (LlamaIndex's auto-merging idea). The answer often sits in the chunk next to the one that matched best;
  merged, the model and the reader see the whole passage, and one slot holds it;
* diversity (off by default: measured, it helped no evaluation set): at most `max_per_doc` sources of one document.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from llama_index.core.schema import NodeWithScore
from llama_index.core.vector_stores.utils import metadata_dict_to_node
from qdrant_client import models

from rag.embedding import sparse
from rag.retrieval.coverage import coverage
from rag.retrieval.doc_kinds import prefer_kinds
from rag.store.qdrant_store import DENSE, SPARSE, Store

log = logging.getLogger(__name__)


@dataclass
class RetrievalOptions:
    mode: str = "hybrid"          # hybrid | dense | sparse
    candidates: int = 40          # chunks each branch prefetches, and the fused list's length
    sparse_weight: float = 0.95   # RRF weight of the sparse branch (dense has 1; below 1 breaks ties for dense)
    rrf_k: int = 20
    max_per_doc: int = 0          # diversity: sources one document may hold in the result; 0 = no limit
    rerank_candidates: int = 10   # how many fused chunks the reranker sees
    merge_scan: int = 10          # neighbours are merged among this many first candidates; 0 = no merging
    merge_max_chunks: int = 3     # chunks one merged source may hold
    kind_boost: float = 0.0       # a document of the kind the question names ("in the chat"): its scores × (1 + it)
    min_coverage: float = 0.0     # the abstention gate: nothing is found when a smaller share of the question's
                                  # words (or its translation's) occurs in the space; 0 = off


@dataclass
class Retrieved:
    nodes: list[NodeWithScore]
    timings: dict = field(default_factory=dict)


def files_filter(files: tuple[str, ...]) -> models.Filter | None:
    """Only chunks of these documents (by file name), or None for the whole space."""
    if not files:
        return None
    return models.Filter(must=[models.FieldCondition(key="file_name", match=models.MatchAny(any=list(files)))])


def fused_query(queries: list[tuple[list[float], models.SparseVector]], options: RetrievalOptions,
                files: tuple[str, ...] = ()) -> dict:
    """One Qdrant query for one or more phrasings of the question (the question, its translation): a dense and a
    sparse prefetch per phrasing as the mode asks, fused by weighted RRF; a single branch is searched directly.
    With `files`, every branch searches only those documents (the filter sits in each prefetch, so each spends
    its candidates on them)."""
    flt = files_filter(files)
    branches: list[tuple[models.Prefetch, float]] = []
    for dense_vector, sparse_vector in queries:
        if options.mode in ("hybrid", "dense"):
            branches.append((models.Prefetch(query=dense_vector, using=DENSE, limit=options.candidates,
                                             filter=flt), 1.0))
        if options.mode in ("hybrid", "sparse") and sparse_vector.indices:
            branches.append((models.Prefetch(query=sparse_vector, using=SPARSE, limit=options.candidates,
                                             filter=flt),
                             options.sparse_weight if options.mode == "hybrid" else 1.0))
    if len(branches) == 1:
        return {"query": branches[0][0].query, "using": branches[0][0].using, "query_filter": flt}
    return {"prefetch": [b for b, _ in branches],
            "query": models.RrfQuery(rrf=models.Rrf(k=options.rrf_k, weights=[w for _, w in branches]))}


def _chunk_index(n: NodeWithScore) -> int:
    return int(n.node.metadata.get("chunk_index") or 0)


def _doc(n: NodeWithScore) -> str:
    return str(n.node.ref_doc_id or n.node.metadata.get("file_name", ""))


def diversify(nodes: list[NodeWithScore], max_per_doc: int) -> list[NodeWithScore]:
    if max_per_doc <= 0:
        return nodes
    taken: dict[str, int] = {}
    out = []
    for n in nodes:
        doc = _doc(n)
        if taken.get(doc, 0) < max_per_doc:
            taken[doc] = taken.get(doc, 0) + 1
            out.append(n)
    return out


def _join(texts: list[str]) -> str:
    """Consecutive chunks, without the text their overlap repeats."""
    out = texts[0]
    for text in texts[1:]:
        overlap = next((size for size in range(min(len(out), len(text), 600), 20, -1)
                        if out.endswith(text[:size])), 0)
        out = out + text[overlap:] if overlap else out + "\n" + text
    return out


def merge_neighbours(nodes: list[NodeWithScore], scan: int, max_chunks: int) -> list[NodeWithScore]:
    """Among the first `scan` candidates, one next to (chunk index ±1) a candidate already taken from the same
    document joins it; candidates past `scan` follow unmerged. A merged source keeps its best score and the rank
    of its best chunk."""
    if scan <= 0:
        return nodes
    groups: list[list[NodeWithScore]] = []
    for n in nodes[:scan]:
        home = next((g for g in groups if len(g) < max_chunks and _doc(g[0]) == _doc(n)
                     and any(abs(_chunk_index(m) - _chunk_index(n)) == 1 for m in g)), None)
        if home is not None:
            home.append(n)
        else:
            groups.append([n])
    out = []
    for g in groups:
        if len(g) == 1:
            out.append(g[0])
            continue
        g.sort(key=_chunk_index)
        node = g[0].node.model_copy(deep=True)
        node.set_content(_join([m.node.get_content() for m in g]))
        pages = [int(page) for m in g if (page := m.node.metadata.get("page"))]
        node.metadata["page"] = min(pages) if pages else None
        node.metadata["merged_chunks"] = [_chunk_index(m) for m in g]
        out.append(NodeWithScore(node=node, score=max(float(m.score or 0.0) for m in g)))
    taken = {id(m) for g in groups for m in g}
    return out + [n for n in nodes if id(n) not in taken]


class HybridSearch:
    """Fused dense + sparse search in one Qdrant request, then rerank, merge and diversity (see the module doc)."""

    def __init__(self, store: Store, embedder, options: RetrievalOptions | None = None,
                 reranker=None) -> None:
        self.store, self.embedder = store, embedder
        self.options = options or RetrievalOptions()
        self.reranker = reranker

    def candidates(self, space: str, query: str, limit: int, also: tuple[str, ...] = (),
                   files: tuple[str, ...] = ()) -> Retrieved:
        """The fused candidates of ready documents, best first. `also`: more phrasings of the query
        (a translation), searched in the same request; `files`: only these documents."""
        t0 = time.perf_counter()
        collection = self.store.collection_of(space)
        phrasings = [query, *also]
        dense_vectors = ([self.embedder.get_query_embedding(q) for q in phrasings] if self.options.mode != "sparse"
                         else [[] for _ in phrasings])
        queries = [(d, sparse.query_vector(q)) for d, q in zip(dense_vectors, phrasings, strict=False)]
        t1 = time.perf_counter()
        if self.options.mode == "sparse" and not any(s.indices for _, s in queries):
            return Retrieved([], {"embed_ms": round((t1 - t0) * 1000, 2), "search_ms": 0.0})
        response = self.store.client.query_points(
            collection, limit=max(limit, self.options.candidates), with_payload=True,
            **fused_query(queries, self.options, files))
        t2 = time.perf_counter()
        nodes = [NodeWithScore(node=metadata_dict_to_node(p.payload), score=float(p.score)) for p in response.points]
        ready = self.store.ready_doc_ids(space, {str(n.node.ref_doc_id) for n in nodes})
        nodes = [n for n in nodes if str(n.node.ref_doc_id) in ready]
        t3 = time.perf_counter()
        return Retrieved(nodes, {"embed_ms": round((t1 - t0) * 1000, 2), "search_ms": round((t2 - t1) * 1000, 2),
                                 "filter_ms": round((t3 - t2) * 1000, 2)})

    def retrieve(self, space: str, query: str, k: int, also: tuple[str, ...] = (),
                 files: tuple[str, ...] = (), gate: bool = True) -> Retrieved:
        """`gate=False` skips the abstention gate: for a question in another language than the documents', whose
        words the space cannot hold and whose translation a small model may garble."""
        phrasings = [query, *also]
        if gate and self.options.min_coverage > 0:
            t0 = time.perf_counter()
            share = coverage(self.store.client, self.store.collection_of(space), phrasings, files_filter(files))
            gate_ms = round((time.perf_counter() - t0) * 1000, 2)
            if share is not None and share < self.options.min_coverage:
                log.info("no document of space %s is about the question: %.0f%% of its words occur in it", space,
                         share * 100)
                return Retrieved([], {"coverage": round(share, 3), "gate_ms": gate_ms})
        found = self.candidates(space, query, k, also, files)
        found.nodes = prefer_kinds(found.nodes, phrasings, self.options.kind_boost)
        if self.reranker is not None and len(found.nodes) > 1:
            t0 = time.perf_counter()
            head = found.nodes[:max(k, self.options.rerank_candidates)]
            try:
                found.nodes = self.reranker.rerank(query, head, k) or head
            except Exception as err:  # a failing reranker must not lose the retrieval
                log.warning("rerank failed, keeping the fused order: %s", err)
            found.timings["rerank_ms"] = round((time.perf_counter() - t0) * 1000, 1)
        merged = merge_neighbours(found.nodes, self.options.merge_scan, self.options.merge_max_chunks)
        found.nodes = diversify(merged, self.options.max_per_doc)[:k]
        return found
