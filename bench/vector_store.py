"""Can LlamaIndex's QdrantVectorStore serve our hybrid search? Side by side, in one run, on the same index:

* ours: one Qdrant request (a dense and a sparse prefetch fused by weighted RRF inside Qdrant, k = RRF_K), then
  merging of neighbouring chunks and diversity, as the app retrieves (no translation);
* LlamaIndex's QdrantVectorStore in HYBRID mode on the same collection, with our sparse query vectors: it sends a
  batch of two searches and fuses the two lists in Python (relative score fusion, alpha 0.5; it has no weighted
  RRF), so merging and diversity do not apply.

    python -m bench.vector_store --index-dir DIR      # DIR: an index made by `python -m rag.eval --index-dir DIR`

Prints hit@1 / hit@5 / MRR on the dev set (rag.eval's hit rule), Qdrant calls, searches and returned points
(each with its payload) per question, and latency; writes bench/results/vector_store.json and .png.
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from bench.common import SHARED, bar_chart, percentile, write_json


class CountingClient:
    """Counts the requests that reach Qdrant, the searches in them and the points (with payloads) they return."""

    def __init__(self, inner) -> None:
        self.inner, self.calls, self.searches, self.points = inner, 0, 0, 0

    def __getattr__(self, name: str):
        attr = getattr(self.inner, name)
        if name not in ("query_points", "query_batch_points"):
            return attr

        def counted(*args, **kwargs):
            self.calls += 1
            requests = kwargs.get("requests") or (args[1] if len(args) > 1 else None)
            self.searches += len(requests) if name == "query_batch_points" and requests else \
                max(1, len(kwargs.get("prefetch") or []))
            result = attr(*args, **kwargs)
            self.points += sum(len(r.points) for r in result) if isinstance(result, list) else len(result.points)
            return result

        return counted


def score(ranked: list[tuple[str, str]], item: dict) -> int | None:
    from rag.eval.metrics import is_hit

    return next((r for r, (file, text) in enumerate(ranked, start=1)
                 if is_hit(text, file, item["source"], item.get("evidence") or "")), None)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.vector_store", description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", required=True, type=Path)
    parser.add_argument("--dataset", type=Path, default=SHARED / "eval" / "dev.jsonl")
    args = parser.parse_args()

    from llama_index.core.vector_stores.types import VectorStoreQuery, VectorStoreQueryMode
    from llama_index.vector_stores.qdrant import QdrantVectorStore

    from config.settings import load_settings
    from rag.build import retrieval_options
    from rag.embedding import sparse
    from rag.embedding.dense import build_embedder
    from rag.eval.harness import SPACE, load_dataset
    from rag.retrieval.hybrid import HybridSearch
    from rag.store.qdrant_store import Store

    settings = load_settings(env_file=None)
    items = [i for i in load_dataset(args.dataset) if i.get("source")]
    store = Store(str(args.index_dir))
    counter = CountingClient(store.client)
    store.client = counter
    embedder = build_embedder(settings.embed_model)
    ours = HybridSearch(store, embedder, retrieval_options(settings))

    def sparse_query(texts: list[str]):
        vectors = [sparse.query_vector(t) for t in texts]
        return [v.indices for v in vectors], [v.values for v in vectors]

    theirs = QdrantVectorStore(collection_name=store.collection_of(SPACE), client=counter,  # type: ignore[arg-type]
                               enable_hybrid=True,
                               sparse_query_fn=sparse_query, sparse_doc_fn=sparse_query)
    runs: dict[str, dict] = {name: {"ranks": [], "ms": [], "calls": 0, "searches": 0, "points": 0}
                             for name in ("ours: one request, weighted RRF in Qdrant",
                                          "QdrantVectorStore: two searches, fused in Python")}
    (ours_run, theirs_run) = runs.values()
    for item in items:
        question = item["question"]
        for run in (ours_run, theirs_run):
            counter.calls = counter.searches = counter.points = 0
            t0 = time.perf_counter()
            if run is ours_run:
                nodes = ours.retrieve(SPACE, question, 5).nodes
            else:
                query = VectorStoreQuery(query_embedding=embedder.get_query_embedding(question), query_str=question,
                                         similarity_top_k=settings.retrieval_candidates,
                                         sparse_top_k=settings.retrieval_candidates, hybrid_top_k=5,
                                         mode=VectorStoreQueryMode.HYBRID)
                result = theirs.query(query)
                nodes = [type("N", (), {"node": n})() for n in result.nodes or []]
            run["ms"].append((time.perf_counter() - t0) * 1000)
            run["calls"] += counter.calls
            run["searches"] += counter.searches
            run["points"] += counter.points
            run["ranks"].append(score([(str(n.node.metadata.get("file_name", "")), n.node.get_content())
                                       for n in nodes[:5]], item))
    store.close()
    table = {}
    for name, run in runs.items():
        ranks, n = run["ranks"], len(run["ranks"])
        table[name] = {"n": n, "hit@1": round(sum(r == 1 for r in ranks) / n, 4),
                       "hit@5": round(sum(r is not None for r in ranks) / n, 4),
                       "mrr": round(sum(1 / r for r in ranks if r) / n, 4),
                       "qdrant_calls_per_question": run["calls"] / n,
                       "searches_per_question": run["searches"] / n, "points_per_question": run["points"] / n,
                       "p50_ms": round(statistics.median(run["ms"]), 1), "p90_ms": round(percentile(run["ms"], 90), 1)}
    print(f"{'':50} {'hit@1':>6} {'hit@5':>6} {'MRR':>6} {'calls':>6} {'searches':>8} {'points':>6} "
          f"{'p50 ms':>7} {'p90 ms':>7}")
    for name, row in table.items():
        print(f"{name:50} {row['hit@1']:6.3f} {row['hit@5']:6.3f} {row['mrr']:6.3f} "
              f"{row['qdrant_calls_per_question']:6.1f} {row['searches_per_question']:8.1f} "
              f"{row['points_per_question']:6.1f} "
              f"{row['p50_ms']:7.1f} {row['p90_ms']:7.1f}")
    path = write_json("vector_store", {"dataset": str(args.dataset), "answerable_questions": len(items),
                                       "results": table})
    bar_chart("vector_store", "Hybrid retrieval on the dev set: ours vs LlamaIndex's QdrantVectorStore",
              ["hit@1", "hit@5", "MRR"], {name: [r["hit@1"], r["hit@5"], r["mrr"]] for name, r in table.items()},
              "score")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
