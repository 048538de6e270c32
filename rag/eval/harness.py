"""Evaluation harness:
`python -m rag.eval --dataset FILE.jsonl --corpus DIR [--retrieval-only] [--top-k K] [--json] [--out DIR]`.

Indexes DIR into a temporary space (a temporary Qdrant dir, or --index-dir to keep and reuse one), runs every
question and reports hit@1, hit@5, MRR, answer accuracy, abstention and citation precision (the share of cited
sentences their passage supports), overall and by language. The scoring rules are in rag/eval/metrics.py. Each
JSONL line is {id, question, answer, source, evidence, kind[, lang]}; `source` is relative to DIR; unanswerable
items have null answer, source and evidence."""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

from rag.eval.metrics import abstains, answer_correct, is_hit, language_of, report

SPACE = "eval"


def load_dataset(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def first_hit_rank(sources, item: dict) -> int | None:
    for rank, s in enumerate(sources, start=1):
        if is_hit(s.text, s.file, item["source"], item.get("evidence") or ""):
            return rank
    return None


def index_corpus(service, corpus: Path, log) -> float:
    from rag.cli import collect_files

    started = time.perf_counter()
    files = collect_files(corpus)
    results = service.ingest_files(SPACE, [(p.relative_to(corpus).as_posix(), p) for p in files])
    seconds = time.perf_counter() - started
    log(f"indexed {sum(r.status != 'failed' for r in results)}/{len(files)} files in {seconds:.1f}s")
    return seconds


def evaluate_item(service, item: dict, top_k: int, retrieval_only: bool) -> dict:
    answerable = bool(item.get("source"))
    row = {"id": item["id"], "lang": language_of(item), "kind": item.get("kind"), "answerable": answerable,
           "question": item["question"], "gold": item.get("answer"), "source": item.get("source")}
    if retrieval_only:
        sources, timings = asyncio.run(service.find_sources(SPACE, item["question"], [], top_k))
        row.update(timings)
        answer = None
    else:
        answer = asyncio.run(service.ask(SPACE, item["question"], [], top_k))
        sources = answer.sources
        row.update(answer.timings)
        row["answer"] = answer.answer
        row["cited"] = answer.cited
        row["citations_supported"] = sum(c.supported is True for c in answer.citations)
        row["citations_checked"] = sum(c.supported is not None for c in answer.citations)
        row["error"] = answer.error
        row["sources_sent"] = len(answer.sources)
        row["source_chars"] = sum(len(s.text) for s in answer.sources)
    row["rank"] = first_hit_rank(sources, item) if answerable else None
    row["retrieved"] = [{"rank": s.n, "file": s.file, "page": s.page, "score": s.score} for s in sources]
    if answer is not None:
        row["correct"] = answer_correct(answer.answer, item["answer"]) if answerable else None
        row["abstained"] = abstains(answer.answer)
    return row


def run(dataset: Path, corpus: Path, top_k: int = 5, retrieval_only: bool = False,
        settings_overrides: dict | None = None, index_dir: Path | None = None, log=print) -> dict:
    from config.settings import load_settings
    from rag import build_service

    items = load_dataset(dataset)
    with tempfile.TemporaryDirectory(prefix="qc-eval-") as tmp:
        qdrant = str(index_dir) if index_dir else f"{tmp}/qdrant"
        # greedy decoding, so two runs differ only by what they change (override with --set llm_temperature=...)
        overrides = {"llm_temperature": 0.0, **(settings_overrides or {})}
        settings = load_settings(env_file=None, qdrant_path=qdrant, qdrant_url="", **overrides)
        # retrieval uses the LLM too when it translates questions or reranks
        needs_llm = (not retrieval_only or settings.query_translation == "auto" or settings.rerank == "llm")
        service = build_service(settings, start_llm=needs_llm)
        try:
            index_s = index_corpus(service, corpus, log)
            rows = []
            for n, item in enumerate(items, start=1):
                # retrieval is scored on at least 5 sources (hit@5); answers get exactly --top-k, as in the app
                rows.append(evaluate_item(service, item, max(top_k, 5) if retrieval_only else top_k,
                                          retrieval_only))
                log(f"[{n}/{len(items)}] {item['id']} rank={rows[-1]['rank']}"
                    + ("" if retrieval_only else f" correct={rows[-1]['correct']} abstained={rows[-1]['abstained']}"))
        finally:
            service.close()
    out = report(rows)
    out["index_seconds"] = round(index_s, 1)
    out["model"] = "retrieval-only" if retrieval_only else settings.llm_model or settings.local_llm_model
    out["rows"] = rows
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rag.eval", description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", required=True, type=Path)
    parser.add_argument("--corpus", required=True, type=Path)
    parser.add_argument("--top-k", type=int, default=5)
    parser.add_argument("--retrieval-only", action="store_true", help="skip the LLM: retrieval metrics only")
    parser.add_argument("--json", action="store_true", help="print one JSON object with the metrics")
    parser.add_argument("--out", type=Path, help="write a per-question report and a PNG chart here")
    parser.add_argument("--index-dir", type=Path, help="keep the index here and reuse it on the next run")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="override a setting for this run, e.g. --set local_llm_model=smollm2-135m")
    args = parser.parse_args(argv)
    overrides = dict(pair.split("=", 1) for pair in args.set)
    result = run(args.dataset, args.corpus, args.top_k, args.retrieval_only, overrides, args.index_dir,
                 log=lambda msg: print(msg, file=sys.stderr))
    rows = result.pop("rows")
    if args.out:
        from rag.eval.report import write_report

        for path in write_report(args.out, result, rows):
            print(f"wrote {path}", file=sys.stderr)
    if args.json:
        keys = ("n", "hit@1", "hit@5", "mrr", "answer_accuracy", "abstention", "citation_precision", "by_lang")
        print(json.dumps({k: result[k] for k in keys}, ensure_ascii=False))
    else:
        from rag.eval.report import format_table

        print(format_table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
