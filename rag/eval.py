"""Evaluation harness: `python -m rag.eval --dataset FILE.jsonl --corpus DIR [--retrieval-only] [--top-k K] [--json]`.

Indexes DIR into a temporary space (a temporary Qdrant dir), runs every question and reports hit@1, hit@5, MRR,
answer accuracy and abstention, overall and by language. A retrieved chunk is a hit when its file is the item's
`source` and it holds at least half of the evidence's words (case-folded, punctuation stripped)."""
from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from pathlib import Path

_WORD = re.compile(r"\w+", re.UNICODE)


def words(text: str) -> list[str]:
    return [w for w in _WORD.findall((text or "").casefold().replace("ё", "е"))]


def is_hit(chunk_text: str, chunk_file: str, source: str, evidence: str) -> bool:
    if Path(chunk_file).as_posix() != Path(source).as_posix():
        return False
    needed = set(words(evidence))
    if not needed:
        return True
    return len(needed & set(words(chunk_text))) >= len(needed) / 2


def language_of(item: dict) -> str:
    if item.get("lang"):
        return item["lang"]
    return "ru" if re.search(r"[А-Яа-яЁё]", item["question"]) else "en"


def load_dataset(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def first_hit_rank(sources, item: dict) -> int | None:
    for rank, s in enumerate(sources, start=1):
        if is_hit(s.text, s.file, item["source"], item.get("evidence") or ""):
            return rank
    return None


def summarize(rows: list[dict]) -> dict:
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]

    def mean(values: list[float]) -> float | None:
        return round(sum(values) / len(values), 4) if values else None

    out = {"n": len(rows),
           "hit@1": mean([1.0 if r["rank"] == 1 else 0.0 for r in answerable]),
           "hit@5": mean([1.0 if r["rank"] and r["rank"] <= 5 else 0.0 for r in answerable]),
           "mrr": mean([1.0 / r["rank"] if r["rank"] else 0.0 for r in answerable]),
           "answer_accuracy": mean([r["correct"] for r in answerable if r.get("correct") is not None]),
           "abstention": mean([r["abstained"] for r in unanswerable if r.get("abstained") is not None])}
    return out


def run(dataset: Path, corpus: Path, top_k: int, retrieval_only: bool, settings_overrides: dict,
        log=print) -> dict:
    from config.settings import load_settings
    from rag.cli import collect_files
    from rag.service import RagService

    items = load_dataset(dataset)
    with tempfile.TemporaryDirectory(prefix="qc-eval-") as tmp:
        settings = load_settings(env_file=None, qdrant_path=f"{tmp}/qdrant", qdrant_url="", **settings_overrides)
        service = RagService(settings, start_llm=not retrieval_only)
        try:
            started = time.perf_counter()
            files = collect_files(corpus)
            results = service.ingest_files("eval", [(p.relative_to(corpus).as_posix(), p) for p in files])
            index_s = time.perf_counter() - started
            log(f"indexed {sum(r.status == 'ok' for r in results)}/{len(files)} files in {index_s:.1f}s")
            rows = []
            for item in items:
                t0 = time.perf_counter()
                sources = service.retrieve("eval", item["question"], max(top_k, 5))
                # chunk file names are relative to the corpus; dataset sources are too
                rank = first_hit_rank(sources, item) if item.get("source") else None
                rows.append({"id": item["id"], "lang": language_of(item), "answerable": bool(item.get("source")),
                             "rank": rank, "retrieved": [s.file for s in sources],
                             "retrieve_ms": round((time.perf_counter() - t0) * 1000, 1)})
        finally:
            service.close()
    report = summarize(rows)
    report["by_lang"] = {lang: summarize([r for r in rows if r["lang"] == lang])
                         for lang in sorted({r["lang"] for r in rows})}
    report["index_seconds"] = round(index_s, 1)
    report["rows"] = rows
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rag.eval", description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", required=True, type=Path)
    parser.add_argument("--corpus", required=True, type=Path)
    parser.add_argument("--top-k", type=int, default=5)
    parser.add_argument("--retrieval-only", action="store_true")
    parser.add_argument("--embed-model", default=None, help="override EMBED_MODEL for this run")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    overrides = {"embed_model": args.embed_model} if args.embed_model else {}
    report = run(args.dataset, args.corpus, args.top_k, args.retrieval_only, overrides,
                 log=lambda msg: print(msg, file=sys.stderr))
    rows = report.pop("rows")
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        for row in rows:
            print(f"{row['id']}\t{row['lang']}\trank={row['rank']}\t{row['retrieved'][:3]}")
        print(json.dumps(report, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
