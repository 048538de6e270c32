"""How many sources the embedded model should read: answer accuracy against time to the first token at several
source counts, on the dev set, with the app's answer path (retrieval, translation, context fitting, streaming).

    python -m bench.source_count [--ks 3 4 5] [--index-dir DIR] [--dataset FILE --corpus DIR] [--name NAME]
                                 [--quick] [--every N]

The corpus is indexed once (kept in --index-dir). For each question the counts run back to back, so a machine
that gets busier or quieter during the run moves every count alike. Decoding is greedy, as in rag.eval. Prints
a table, writes bench/results/source_count.json and .png. About 15 s per question and count on 2 cores with
Qwen 0.5B; --quick takes 8 questions. llama.cpp's reuse of the previous prompt is defeated between runs, so no
count gets another's prompt processing for free."""
from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

from bench.common import SHARED, bar_chart, write_json
from bench.llm_candidates import QUICK_IDS, summarize


async def evict_prompt_cache(llm, tag: str) -> None:
    """llama.cpp reuses the previous prompt's computed prefix: when two counts send the same sources, the second
    would start almost at once. A one-token exchange in between leaves only the shared system prompt cached, as in
    the app, where different questions follow each other."""
    from llama_index.core.llms import ChatMessage

    stream = llm.astream_chat([ChatMessage(role="user", content=f"Reply OK ({tag}).")])
    async for _ in stream:
        break
    await stream.aclose()


def run(ks: list[int], dataset: Path, corpus: Path, index_dir: Path, ids: set[str] | None,
        overrides: dict, every: int = 1) -> dict[int, list[dict]]:
    from config.settings import load_settings
    from rag import build_service
    from rag.eval.harness import evaluate_item, index_corpus, load_dataset

    items = [i for i in load_dataset(dataset) if not ids or i["id"] in ids][::every]
    settings = load_settings(env_file=None, qdrant_path=str(index_dir), qdrant_url="",
                             **{"llm_temperature": 0.0, **overrides})
    service = build_service(settings)
    rows: dict[int, list[dict]] = {k: [] for k in ks}
    try:
        index_corpus(service, corpus, lambda m: print(m, file=sys.stderr))
        for n, item in enumerate(items, start=1):
            for k in ks:
                asyncio.run(evict_prompt_cache(service.llm, f"{item['id']}-{k}"))
                row = evaluate_item(service, item, k, False)
                rows[k].append(row)
                print(f"[{n}/{len(items)}] {item['id']} k={k} sent={row['sources_sent']} "
                      f"first_token={row.get('first_token_ms')} correct={row['correct']}", file=sys.stderr)
    finally:
        service.close()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.source_count", description=__doc__.splitlines()[0])
    parser.add_argument("--ks", nargs="+", type=int, default=[3, 4, 5])
    parser.add_argument("--dataset", type=Path, default=SHARED / "eval" / "dev.jsonl")
    parser.add_argument("--corpus", type=Path, default=SHARED / "corpus" / "quadrate")
    parser.add_argument("--index-dir", type=Path, help="keep the index here and reuse it")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--every", type=int, default=1, metavar="N",
                        help="every N-th question only (the 1st, N+1-th, ...), for a long set on a slow machine")
    parser.add_argument("--name", help="results file name under bench/results (default source_count[_quick])")
    args = parser.parse_args(argv)
    ids = set(QUICK_IDS.split(",")) if args.quick else None
    overrides = dict(pair.split("=", 1) for pair in args.set)
    with tempfile.TemporaryDirectory(prefix="qc-sources-") as tmp:
        rows = run(args.ks, args.dataset, args.corpus, args.index_dir or Path(tmp) / "qdrant", ids, overrides,
                   args.every)
    results = {}
    for k, k_rows in rows.items():
        r = summarize(k_rows)
        sent = [row["sources_sent"] for row in k_rows]
        chars = [row["source_chars"] for row in k_rows]
        r["sources_sent_mean"] = round(sum(sent) / len(sent), 2)
        r["source_chars_mean"] = round(sum(chars) / len(chars))
        results[f"top_k={k}"] = r
    print(f"{'setting':10} {'n':>3} {'accuracy':>8} {'RU acc':>6} {'EN acc':>6} {'abstain':>7} {'sent':>5} "
          f"{'chars':>6} {'cit.prec':>8} {'TTFT p50':>8} {'TTFT p90':>8} {'total p50':>9}")
    fmt = lambda v: "   -" if v is None else f"{v:.2f}"  # noqa: E731
    for name, r in results.items():
        ru, en = r["by_lang"].get("ru", {}), r["by_lang"].get("en", {})
        print(f"{name:10} {r['n']:3d} {fmt(r['answer_accuracy']):>8} {fmt(ru.get('answer_accuracy')):>6} "
              f"{fmt(en.get('answer_accuracy')):>6} {fmt(r['abstention']):>7} {r['sources_sent_mean']:5.2f} "
              f"{r['source_chars_mean']:6d} {fmt(r['citation_precision']):>8} {r['first_token_s']['p50'] or 0:7.1f}s "
              f"{r['first_token_s']['p90'] or 0:7.1f}s "
              f"{r['total_s']['p50'] or 0:8.1f}s")
    name = args.name or ("source_count_quick" if args.quick else "source_count")
    path = write_json(name, {"overrides": overrides, "every": args.every, "results": results,
                             "rows": {k: v for k, v in zip(results, rows.values(), strict=False)}})
    png = bar_chart(name, "Sources per answer: accuracy vs time to first token", list(results),
                    {"answer accuracy": [r["answer_accuracy"] or 0.0 for r in results.values()],
                     "TTFT p50 / 30 s": [(r["first_token_s"]["p50"] or 0.0) / 30 for r in results.values()]},
                    "share (time as a fraction of 30 s)")
    print(f"wrote {path} and {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
