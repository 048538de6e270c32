"""The outputs of bench.serve: the markdown table in the shape of the founding guide's "Ollama vs vLLM" table (a
block per concurrency, a row per metric, a column per target), the overhead targets (measured, threshold,
PASS/MISS), and the plots (tokens/s and TTFT p50/p99 against concurrency, a line per target)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

Summaries = dict[str, dict[int, dict[str, Any]]]   # target -> concurrency -> summary (serve_load.summarize)

ROWS = [("tokens_per_s", "output tokens/s"), ("ttft_p50_ms", "TTFT p50, ms"), ("ttft_p99_ms", "TTFT p99, ms"),
        ("itl_p50_ms", "inter-token p50, ms"), ("itl_p99_ms", "inter-token p99, ms"),
        ("requests_per_s", "requests/s"), ("wall_s", "wall time, s"), ("errors", "errors"),
        ("app_retrieval_mean_ms", "app: retrieval mean, ms (/metrics)"),
        ("app_translation_mean_ms", "app: translation mean, ms (/metrics)"),
        ("app_first_token_mean_ms", "app: first token mean, ms (/metrics)"),
        ("client_cpu_s", "bench client CPU, s"), ("app_cpu_s", "app process CPU, s"),
        ("stub_cpu_s", "stub LLM CPU, s")]

# the speed targets of ../shared/BRIEF.md section 5, checked in the overhead mode
TTFT_P50_ADDED_MS, TTFT_P99_ADDED_MS, ITL_P99_ADDED_MS = 30.0, 100.0, 5.0
APP_THROUGHPUT_RATIO, GRADIO_THROUGHPUT_RATIO = 0.95, 0.90


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"
    return str(value)


def markdown_table(summaries: Summaries) -> str:
    names = list(summaries)
    levels = sorted({c for per in summaries.values() for c in per})
    lines = ["| concurrency | metric | " + " | ".join(names) + " |", "|---:|---|" + "---:|" * len(names)]
    for c in levels:
        rows = [(key, label) for key, label in ROWS
                if any(summaries[n].get(c, {}).get(key) is not None for n in names)]
        for key, label in rows:
            if key == "wall_s":
                counts = {summaries[n][c]["requests"] for n in names if c in summaries[n]}
                label = f"{counts.pop()} requests, s" if len(counts) == 1 else label
            cells = [_cell(summaries[n].get(c, {}).get(key)) for n in names]
            lines.append(f"| {c} | {label} | " + " | ".join(cells) + " |")
    errors = [f"- {n} @ {c}: {s['errors']} errors, first: {s['first_error']}"
              for n in names for c, s in sorted(summaries[n].items()) if s.get("errors")]
    return "\n".join(lines + (["", *errors] if errors else []))


def _check(name: str, concurrency: int, measured: float | None, threshold: float, unit: str,
           at_most: bool) -> dict[str, Any]:
    ok = measured is not None and (measured <= threshold if at_most else measured >= threshold)
    return {"target": name, "concurrency": concurrency, "measured": None if measured is None else round(measured, 3),
            "threshold": f"{'≤' if at_most else '≥'} {threshold:g}{unit}", "status": "PASS" if ok else "MISS"}


def overhead_checks(summaries: Summaries, direct: str, app: str, gradio: str) -> list[dict[str, Any]]:
    """The speed targets, each at every level measured (throughput at 32 and 64, or the highest level measured
    when those were not); those of a path not measured (--only) are left out."""
    d, a, g = summaries[direct], summaries.get(app, {}), summaries.get(gradio, {})
    checks: list[dict[str, Any]] = []

    def diff(key: str, c: int) -> float | None:
        x, y = a.get(c, {}).get(key), d.get(c, {}).get(key)
        return None if x is None or y is None else x - y

    def ratio(side: dict, c: int) -> float | None:
        x, y = side.get(c, {}).get("tokens_per_s"), d.get(c, {}).get("tokens_per_s")
        return None if not x or not y else x / y

    for c in sorted(d) if a else []:
        checks.append(_check("app TTFT p50 added over direct, ms", c, diff("ttft_p50_ms", c), TTFT_P50_ADDED_MS,
                             " ms", True))
        checks.append(_check("app TTFT p99 added over direct, ms", c, diff("ttft_p99_ms", c), TTFT_P99_ADDED_MS,
                             " ms", True))
        checks.append(_check("app inter-token p99 added over direct, ms", c, diff("itl_p99_ms", c),
                             ITL_P99_ADDED_MS, " ms", True))
    top: int = max(d)
    wanted: list[int] = [32, 64]
    for c in ([c for c in wanted if c in d] or [top]) if a else []:
        checks.append(_check("app /v1 throughput, share of direct", c, ratio(a, c), APP_THROUGHPUT_RATIO, "", False))
    for c in ([32] if 32 in d else [top]) if g else []:
        checks.append(_check("Gradio chat throughput, share of direct", c, ratio(g, c), GRADIO_THROUGHPUT_RATIO, "",
                             False))
    for check in checks:   # a level with failed requests passes nothing
        involved = (direct, gradio if check["target"].startswith("Gradio") else app)
        bad = [n for n in involved if summaries.get(n, {}).get(check["concurrency"], {}).get("errors")]
        if bad:
            check["status"], check["note"] = "MISS", f"errors in {', '.join(bad)}"
    return checks


def checks_table(checks: list[dict[str, Any]]) -> str:
    lines = ["| target | concurrency | measured | threshold | result |", "|---|---:|---:|---|---|"]
    for ch in checks:
        note = f" ({ch['note']})" if ch.get("note") else ""
        lines.append(f"| {ch['target']} | {ch['concurrency']} | {_cell(ch['measured'])} | {ch['threshold']} | "
                     f"{ch['status']}{note} |")
    return "\n".join(lines)


def plots(summaries: Summaries, out: Path, title: str) -> list[Path]:
    """serve_tokens.png (output tokens/s) and serve_ttft.png (TTFT p50 solid, p99 dashed, log scale) against
    concurrency."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    for name, keys, ylabel in (("serve_tokens", [("tokens_per_s", "-")], "output tokens/s"),
                               ("serve_ttft", [("ttft_p50_ms", "-"), ("ttft_p99_ms", "--")], "TTFT, ms (log)")):
        fig, ax = plt.subplots(figsize=(7, 4.2))
        for i, (target, per) in enumerate(summaries.items()):
            levels = sorted(per)
            for key, style in keys:
                ys = [per[c].get(key) for c in levels]
                label = target if len(keys) == 1 else f"{target} {key.split('_')[1]}"
                ax.plot(levels, [float("nan") if y is None else y for y in ys], style, marker="o", color=f"C{i}",
                        label=label)
        ax.set_xscale("log", base=2)
        if name == "serve_ttft":
            ax.set_yscale("log")
        ax.set_xticks(sorted({c for per in summaries.values() for c in per}))
        ax.get_xaxis().set_major_formatter(matplotlib.ticker.ScalarFormatter())
        ax.set_xlabel("concurrent requests")
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        path = out / f"{name}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)
    return paths
