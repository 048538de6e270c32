"""The embedded LLM candidates side by side: answer accuracy and abstention (rag.eval's rules) against time to the
first token and total answer time, on this machine.

    python -m bench.llm_candidates [--models smollm2-135m qwen2.5-coder-0.5b qwen2.5-coder-1.5b]
                                   [--dataset FILE] [--ids dev-001,dev-002,...] [--quick]
    python -m bench.llm_candidates --reports NAME=DIR [NAME=DIR ...] [--ids ...]

The first form indexes the corpus once (kept in a temp dir) and runs the whole harness with each model in turn:
each answers, and translates English questions for retrieval, as the app does. Expect about 10 minutes for
SmolLM2, 30 for Qwen 0.5B and over an hour for Qwen 1.5B on 2 cores; --quick takes 8 questions. The second form
tabulates runs already made with `python -m rag.eval ... --out DIR --set local_llm_model=NAME`, restricted to
--ids when given, so models run on different question sets can be compared on the questions they share.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from bench.common import SHARED, bar_chart, percentile, write_json
from rag.eval.metrics import report
from rag.text.language import detect_language

QUICK_IDS = "dev-001,dev-003,dev-005,dev-006,dev-011,dev-024,dev-038,dev-040"


def latency(rows: list[dict], key: str) -> dict:
    values = [r[key] for r in rows if r.get(key)]
    if not values:
        return {"p50": None, "p90": None}
    return {"p50": round(percentile(values, 50) / 1000, 1), "p90": round(percentile(values, 90) / 1000, 1)}


def summarize(rows: list[dict]) -> dict:
    out = report(rows)
    out["first_token_s"] = latency(rows, "first_token_ms")
    out["total_s"] = latency(rows, "total_ms")
    out["translate_s"] = latency(rows, "translate_ms")
    out["errors"] = sum(1 for r in rows if r.get("error"))
    answerable = [r for r in rows if r.get("answerable") and r.get("answer") is not None]
    # the other side of abstention: "the sources don't say" for a question they do answer
    out["false_no_answer"] = (round(sum(bool(r.get("abstained")) for r in answerable) / len(answerable), 4)
                              if answerable else None)
    answered = [r for r in rows if r.get("answer") and not r.get("error")]
    same = [detect_language(r["answer"].split("\n\n")[0]) == r["lang"] for r in answered]
    out["answer_in_question_language"] = round(sum(same) / len(same), 4) if same else None
    out["cited"] = round(sum(bool(r.get("cited")) for r in answered) / len(answered), 4) if answered else None
    return out


def run_models(models: list[str], dataset: Path, corpus: Path, ids: set[str] | None) -> dict[str, list[dict]]:
    from rag.eval.harness import load_dataset, run

    items = [i for i in load_dataset(dataset) if not ids or i["id"] in ids]
    rows: dict[str, list[dict]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        subset = Path(tmp) / "questions.jsonl"
        subset.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items))
        for model in models:
            result = run(subset, corpus, 5, False, {"local_llm_model": model}, Path(tmp) / "index",
                         log=lambda m, name=model: print(f"[{name}] {m}", file=sys.stderr))
            rows[model] = result["rows"]
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.llm_candidates", description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["smollm2-135m", "qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"])
    parser.add_argument("--dataset", type=Path, default=SHARED / "eval" / "dev.jsonl")
    parser.add_argument("--corpus", type=Path, default=SHARED / "corpus" / "quadrate")
    parser.add_argument("--ids", default="", help="comma-separated question ids to keep")
    parser.add_argument("--reports", nargs="*", default=[], metavar="NAME=DIR")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    ids = set(filter(None, (QUICK_IDS if args.quick and not args.ids else args.ids).split(","))) or None
    if args.reports:
        rows = {}
        for pair in args.reports:
            name, folder = pair.split("=", 1)
            lines = (Path(folder) / "questions.jsonl").read_text().splitlines()
            rows[name] = [r for r in map(json.loads, lines) if not ids or r["id"] in ids]
    else:
        rows = run_models(args.models, args.dataset, args.corpus, ids)
    results = {name: summarize(r) for name, r in rows.items()}
    print(f"{'model':22} {'n':>3} {'accuracy':>8} {'abstain':>7} {'RU acc':>6} {'EN acc':>6} "
          f"{'no-ans*':>7} {'TTFT p50':>8} {'total p50':>9} {'total p90':>9} {'hit@5':>5} {'same lang':>9}")
    for name, r in results.items():
        ru, en = r["by_lang"].get("ru", {}), r["by_lang"].get("en", {})
        fmt = lambda v: "   -" if v is None else f"{v:.2f}"  # noqa: E731
        print(f"{name:22} {r['n']:3d} {fmt(r['answer_accuracy']):>8} {fmt(r['abstention']):>7} "
              f"{fmt(ru.get('answer_accuracy')):>6} {fmt(en.get('answer_accuracy')):>6} {fmt(r['false_no_answer']):>7} "
              f"{r['first_token_s']['p50'] or 0:7.1f}s {r['total_s']['p50'] or 0:8.1f}s "
              f"{r['total_s']['p90'] or 0:8.1f}s"
              f" {fmt(r['hit@5']):>5} {fmt(r['answer_in_question_language']):>9}")
    name = "llm_candidates_quick" if args.quick else "llm_candidates"
    path = write_json(name, {"ids": sorted(ids) if ids else None, "results": results})
    png = bar_chart(name, "Embedded LLM candidates (rag.eval rules)", list(results),
                    {"answer accuracy": [r["answer_accuracy"] or 0.0 for r in results.values()],
                     "abstention": [r["abstention"] or 0.0 for r in results.values()],
                     "'no answer' to answerable": [r["false_no_answer"] or 0.0 for r in results.values()],
                     "TTFT p50 / 60 s": [(r["first_token_s"]["p50"] or 0.0) / 60 for r in results.values()]},
                    "share (time as a fraction of a minute)")
    print("no-ans*: share of answerable questions answered 'the sources do not say'")
    print(f"wrote {path} and {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
