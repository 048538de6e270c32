"""The outputs of bench.load: markdown tables (a row per phase; a row per time window of each phase; the targets
with PASS/MISS) and a PNG per phase (TTFT p50/p99 per window, a line per surface; the app's RSS and /health's time
per second, with the warm-up and the two windows its growth compares)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.serve_report import _cell


def _ms_pair(figures: dict[str, Any]) -> str:
    return f"{_cell(figures['p50_ms'])} / {_cell(figures['p99_ms'])}"


def phases_table(phases: dict[str, dict[str, Any]]) -> str:
    lines = ["| phase | sessions × min | turns (openai / gradio) | follow-ups | errors | TTFT p50 / p99, ms | "
             "after warm-up | app RSS first → peak, MB | RSS growth after warm-up | /health p50 / p99, ms |",
             "|---|---|---|---:|---:|---|---|---|---:|---|"]
    for name, p in phases.items():
        s = p["summary"]
        by = s["turns_by_surface"]
        growth = s["rss_growth"]
        lines.append(
            f"| {name} | {p['sessions']} × {p['minutes']:g} | {s['turns']} ({by.get('openai', 0)} / "
            f"{by.get('gradio', 0)}) | {s['follow_ups']} | {s['errors']} | {_ms_pair(s['ttft']['all'])} | "
            f"{_ms_pair(s['ttft_after_warmup']['all'])} | {_cell(s['rss_first_mb'])} → {_cell(s['rss_peak_mb'])} | "
            f"{_cell(growth['growth_pct'])} % ({_cell(growth['baseline_mb'])} → {_cell(growth['end_mb'])} MB) | "
            f"{_ms_pair(s['health'])} |")
    errors = [f"- {name}: {count['count']} × {kind}, e.g. {count['example'][:160]}"
              for name, p in phases.items() for kind, count in p["summary"]["errors_by_kind"].items()]
    return "\n".join(lines + (["", "Errors:", *errors] if errors else []))


def windows_table(name: str, summary: dict[str, Any]) -> str:
    surfaces = [k for k in summary["ttft"] if k != "all"]
    head = "".join(f" {s} TTFT p50 / p99 |" for s in surfaces)
    lines = [f"| {name}: window, s | turns | errors | TTFT p50 / p99, ms |{head} app RSS median, MB | "
             "/health median, ms |", "|---|---:|---:|---|" + "---|" * len(surfaces) + "---:|---:|"]
    for w in summary["windows"]:
        per = "".join(f" {_ms_pair(w['ttft'].get(s) or {'p50_ms': None, 'p99_ms': None})} |" for s in surfaces)
        lines.append(f"| {w['from_s']:g}–{w['to_s']:g} | {w['turns']} | {w['errors']} | {_ms_pair(w['ttft']['all'])} "
                     f"|{per} {_cell(w['rss_median_mb'])} | {_cell(w['health_median_ms'])} |")
    return "\n".join(lines)


def checks_table(checks: list[dict[str, Any]]) -> str:
    lines = ["| target (stub LLM) | measured | threshold | result |", "|---|---:|---|---|"]
    for ch in checks:
        note = f" ({ch['scope']})" if ch.get("scope") else ""
        lines.append(f"| {ch['target']} | {_cell(ch['measured'])} | {ch['threshold']} | {ch['status']}{note} |")
    return "\n".join(lines)


def plot(name: str, phase: dict[str, Any], samples: list[dict[str, Any]], out: Path, title: str) -> Path:
    """load_<name>.png: TTFT p50 (solid) and p99 (dashed) per window, a colour per surface and all together; below,
    the app's RSS per sample (and that of its children, the embedded LLM, when there are any) with /health's time
    on a second axis; warm-up shaded, the compared windows marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    summary = phase["summary"]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 7), sharex=True)
    mids = [(w["from_s"] + w["to_s"]) / 2 for w in summary["windows"]]
    for i, surface in enumerate(summary["ttft"]):
        for key, style in (("p50_ms", "-"), ("p99_ms", "--")):
            ys = [(w["ttft"].get(surface) or {}).get(key) for w in summary["windows"]]
            top.plot(mids, [float("nan") if y is None else y for y in ys], style, marker="o", color=f"C{i}",
                     label=f"{surface} {key[:3]}")
    top.set_ylabel("TTFT, ms")
    top.set_title(title)
    top.legend(fontsize=8, ncol=3)
    top.grid(alpha=0.3)
    ts = [s["t_s"] for s in samples]
    bottom.plot(ts, [float("nan") if s["app_rss_mb"] is None else s["app_rss_mb"] for s in samples], color="C0",
                label="app RSS, MB")
    if any(s["children_rss_mb"] for s in samples):
        bottom.plot(ts, [s["children_rss_mb"] for s in samples], color="C1", label="embedded LLM RSS, MB")
    growth = summary["rss_growth"]
    bottom.axvspan(0, growth["warmup_s"], color="grey", alpha=0.15, label="warm-up")
    for key, colour in (("baseline", "C2"), ("end", "C3")):
        lo, hi = growth[f"{key}_window_s"]
        if growth[f"{key}_mb"] is not None:
            bottom.hlines(growth[f"{key}_mb"], lo, hi, colors=colour, linewidth=3, label=f"{key} median")
    bottom.set_xlabel("seconds since the load started")
    bottom.set_ylabel("RSS, MB")
    health = bottom.twinx()
    health.plot(ts, [float("nan") if s["health_ms"] is None else s["health_ms"] for s in samples], color="C4",
                alpha=0.5, linewidth=0.8, label="/health, ms")
    health.set_ylabel("/health, ms")
    handles = [h for ax in (bottom, health) for h in ax.get_legend_handles_labels()[0]]
    bottom.legend(handles, [h.get_label() for h in handles], fontsize=8, loc="lower right")
    bottom.grid(alpha=0.3)
    fig.tight_layout()
    path = out / f"load_{name}.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
