"""Retrieval settings compared on several evaluation sets in one run:
`python -m rag.eval.sweep --set NAME=DATASET@CORPUS ... [--grid NAME=V1,V2 ... | --config NAME=V,NAME=V ...]
[--ingest NAME=VALUE ...]`.

Each corpus is indexed once (under --index-root, kept and reused; the folder's name carries the --ingest
settings, so another chunk size gets its own index). Each question's translation is asked of the LLM once and
cached (--cache), since it does not depend on the retrieval settings. Then every combination of the --grid values
(retrieval settings: rrf_k, sparse_weight, candidates, merge_scan, max_per_doc, translation=on|off, ...) retrieves
every question, and the table gives hit@1, hit@5 and MRR per set, for English questions, and their mean over the
sets (settings are chosen by the mean, never by one set). The hit rule is the harness's (rag/eval/metrics.py)."""
from __future__ import annotations

import argparse
import asyncio
import dataclasses
import hashlib
import itertools
import json
import sys
from pathlib import Path

from rag.answer.chat_engine import to_source
from rag.eval.harness import SPACE, first_hit_rank, index_corpus, load_dataset
from rag.eval.metrics import language_of, summarize

METRICS = ("hit@1", "hit@5", "mrr")


def _value(text: str):
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def grid(specs: list[str]) -> list[dict]:
    """Every combination of `NAME=V1,V2` specs, as dicts (one empty dict without specs)."""
    axes = [(name, [_value(v) for v in values.split(",")]) for name, values in (s.split("=", 1) for s in specs)]
    return [dict(zip([a for a, _ in axes], combo, strict=True)) for combo in itertools.product(*[v for _, v in axes])]


def index_dir(root: Path, corpus: Path, ingest: dict) -> Path:
    key = json.dumps([str(corpus.resolve()), sorted(ingest.items())])
    return root / f"{corpus.resolve().name}-{hashlib.sha1(key.encode()).hexdigest()[:10]}"


class Sweep:
    """One corpus's service; questions' phrasings (the question and its cached translation) and their ranks."""

    def __init__(self, corpus: Path, root: Path, ingest: dict, cache: dict, log) -> None:
        self.key = corpus.resolve().name
        from config.settings import load_settings
        from rag import build_service

        settings = load_settings(env_file=None, qdrant_path=str(index_dir(root, corpus, ingest)), qdrant_url="",
                                 llm_temperature=0.0, **ingest)
        self.service = build_service(settings, start_llm=True)
        self.cache, self.log = cache, log
        self.index_s = index_corpus(self.service, corpus, log)
        self.base = self.service.search.options

    def phrasings(self, question: str) -> tuple[list[str], bool]:
        """The question and, when asked in another language than the documents', its translation; and whether the
        abstention gate applies to it. Both as the chat engine finds them (asked once, cached)."""
        key = f"{self.key}\t{question}"
        if not isinstance(self.cache.get(key), dict):
            engine = self.service.chat_engine(SPACE, 5)
            _, timings = asyncio.run(engine.find_nodes(question, []))
            self.cache[key] = {"translation": timings.get("translation"),
                               "cross_lingual": engine.retriever.cross_lingual}
        found = self.cache[key]
        translated = found["translation"]
        return ([question, translated] if translated else [question]), not found["cross_lingual"]

    def ranks(self, items: list[dict], config: dict) -> list[dict]:
        options = {k: v for k, v in config.items() if k != "translation"}
        self.service.search.options = dataclasses.replace(self.base, **options)
        rows = []
        for item in items:
            phrasings, gate = self.phrasings(item["question"])
            if config.get("translation") == "off":
                phrasings = phrasings[:1]
            found = self.service.search.retrieve(SPACE, phrasings[0], 5, tuple(phrasings[1:]), gate=gate)
            sources = [to_source(i, n) for i, n in enumerate(found.nodes, start=1)]
            answerable = bool(item.get("source"))
            rows.append({"id": item["id"], "lang": language_of(item), "answerable": answerable,
                         "rank": first_hit_rank(sources, item) if answerable else None, "refused": not sources})
        return rows


def _cell(summary: dict) -> str:
    return " / ".join(f"{summary[m]:.2f}" if summary[m] is not None else "—" for m in METRICS)


def table(results: list[dict], sets: list[str]) -> str:
    head = ("| settings | " + " | ".join(f"{s} hit@1 / hit@5 / MRR" for s in sets)
            + " | EN (all sets) | mean | refused without the LLM: answerable, unanswerable |")
    lines = [head, "|" + "---|" * (len(sets) + 4)]
    for r in results:
        cells = [_cell(r["sets"][s]) for s in sets]
        gate = f"{r['gate']['answerable']}, {r['gate']['unanswerable']} of {r['gate']['of_unanswerable']}"
        lines.append(f"| {r['label']} | " + " | ".join(cells) + f" | {_cell(r['en'])} | {_cell(r['mean'])} | {gate} |")
    return "\n".join(lines)


def run(sets: dict[str, tuple[Path, Path]], configs: list[dict], root: Path, ingest: dict, cache_path: Path,
        log=print) -> list[dict]:
    cache = json.loads(cache_path.read_text(encoding="utf-8")) if cache_path.exists() else {}
    by_corpus: dict[Path, list[str]] = {}
    for name, (_, corpus) in sets.items():
        by_corpus.setdefault(corpus, []).append(name)
    rows: dict[tuple[int, str], list[dict]] = {}
    for corpus, names in by_corpus.items():
        sweep = Sweep(corpus, root, ingest, cache, log)
        try:
            for i, config in enumerate(configs):
                for name in names:
                    rows[(i, name)] = sweep.ranks(load_dataset(sets[name][0]), config)
                log(f"{corpus.name}: {config or 'defaults'} done")
        finally:
            sweep.service.close()
            cache_path.parent.mkdir(parents=True, exist_ok=True)
            cache_path.write_text(json.dumps(cache, ensure_ascii=False, indent=1), encoding="utf-8")
    results = []
    for i, config in enumerate(configs):
        per_set = {name: summarize(rows[(i, name)]) for name in sets}
        en = summarize([r for name in sets for r in rows[(i, name)] if r["lang"] == "en"])
        scored = [s for s in sets if per_set[s]["hit@5"] is not None]
        mean = {m: round(sum(per_set[s][m] for s in scored) / len(scored), 4) for m in METRICS}
        every = [r for name in sets for r in rows[(i, name)]]
        # the abstention gate: questions it answered "not in the documents" without the LLM
        gate = {"answerable": sum(r["refused"] for r in every if r["answerable"]),
                "unanswerable": sum(r["refused"] for r in every if not r["answerable"]),
                "of_unanswerable": sum(not r["answerable"] for r in every)}
        label = ", ".join(f"{k}={v}" for k, v in config.items()) or "defaults"
        results.append({"label": label, "config": config, "ingest": ingest, "sets": per_set, "en": en, "mean": mean,
                        "gate": gate,
                        "ranks": {name: [(r["id"], r["rank"]) for r in rows[(i, name)]] for name in sets}})
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rag.eval.sweep", description=__doc__.splitlines()[0])
    parser.add_argument("--set", action="append", required=True, metavar="NAME=DATASET@CORPUS")
    parser.add_argument("--grid", action="append", default=[], metavar="NAME=V1,V2",
                        help="retrieval settings to combine (RetrievalOptions fields, or translation=on,off)")
    parser.add_argument("--config", action="append", default=[], metavar="NAME=V,NAME=V",
                        help="one explicit combination (repeat for more; instead of --grid): a per-stage table")
    parser.add_argument("--ingest", action="append", default=[], metavar="NAME=VALUE",
                        help="settings the index is built with (chunk_size=256)")
    parser.add_argument("--index-root", type=Path, default=Path("/tmp/qc-sweep"))
    parser.add_argument("--cache", type=Path, default=Path("/tmp/qc-sweep/translations.json"))
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args(argv)
    sets = {}
    for spec in args.set:
        name, rest = spec.split("=", 1)
        dataset, corpus = rest.split("@", 1)
        sets[name] = (Path(dataset), Path(corpus))
    ingest = {k: _value(v) for k, v in (s.split("=", 1) for s in args.ingest)}
    configs = ([{k: _value(v) for k, v in (pair.split("=", 1) for pair in c.split(",") if pair)}
                for c in args.config] if args.config else grid(args.grid))
    results = run(sets, configs, args.index_root, ingest, args.cache,
                  log=lambda msg: print(msg, file=sys.stderr))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    print(table(results, list(sets)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
