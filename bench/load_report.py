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
            f"{_cell(growth['growth_pct'])} % ({_cell(growth['baseline_mb'])} → {_cell(growth['end_mb'])} MB; "
            f"{_cell(growth['slope_mb_per_min'])} MB/min) | "
            f"{_ms_pair(s['health'])} |")
    memory = [f"- {name}, the app after warm-up: {_growth('anonymous', s.get('anon_growth'))}; "
              f"{_growth('file-backed', s.get('file_growth'))}; threads {s['threads']['first']} → "
              f"{s['threads']['last']} (peak {s['threads']['peak']})"
              for name, p in phases.items() if (s := p["summary"]).get("threads", {}).get("first") is not None]
    errors = [f"- {name}: {count['count']} × {kind}, e.g. {count['example'][:160]}"
              for name, p in phases.items() for kind, count in p["summary"]["errors_by_kind"].items()]
    return "\n".join(lines + ["", *memory] + (["", "Errors:", *errors] if errors else []))


def _growth(label: str, growth: dict[str, Any] | None) -> str:
    if not growth or growth["baseline_mb"] is None:
        return f"{label} memory not sampled"
    return (f"{label} memory {_cell(growth['baseline_mb'])} → {_cell(growth['end_mb'])} MB "
            f"({_cell(growth['growth_pct'])} %, {_cell(growth['slope_mb_per_min'])} MB/min)")


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
    """load_<name>.png, three panels over the run's time: TTFT p50 (solid) and p99 (dashed) per window, a colour per
    surface and all together, with each turn's own TTFT as a dot; the app's RSS per sample (and, on the right axis,
    that of its children, the embedded LLM, when there are any), warm-up shaded and the two medians its growth
    compares drawn over their windows; /health's time and the turns in flight."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    summary = phase["summary"]
    fig, (top, middle, bottom) = plt.subplots(3, 1, figsize=(9, 9), sharex=True,
                                              gridspec_kw={"height_ratios": [3, 3, 2]})
    mids = [(w["from_s"] + w["to_s"]) / 2 for w in summary["windows"]]
    for i, surface in enumerate(summary["ttft"]):
        for key, style in (("p50_ms", "-"), ("p99_ms", "--")):
            ys = [(w["ttft"].get(surface) or {}).get(key) for w in summary["windows"]]
            top.plot(mids, [float("nan") if y is None else y for y in ys], style, marker="o", color=f"C{i}",
                     label=f"{surface} {key[:3]}")
        turns = [t for t in phase.get("turns", []) if t["surface"] == surface and t["ttft_ms"] is not None]
        top.scatter([t["t_s"] for t in turns], [t["ttft_ms"] for t in turns], s=4, color=f"C{i}", alpha=0.25)
    top.set_ylabel("TTFT, ms")
    top.set_title(title)
    top.legend(fontsize=8, ncol=3)
    ts = [s["t_s"] for s in samples]
    middle.plot(ts, [float("nan") if s["app_rss_mb"] is None else s["app_rss_mb"] for s in samples], color="C0",
                label="app RSS")
    growth = summary["rss_growth"]
    middle.axvspan(0, growth["warmup_s"], color="grey", alpha=0.15, label="warm-up")
    for key, colour in (("baseline", "C2"), ("end", "C3")):
        lo, hi = growth[f"{key}_window_s"]
        if growth[f"{key}_mb"] is not None:
            middle.hlines(growth[f"{key}_mb"], lo, hi, colors=colour, linewidth=3, label=f"{key} median")
    middle.set_ylabel("app RSS, MB")
    handles = middle.get_legend_handles_labels()[0]
    if any(s["children_rss_mb"] for s in samples):
        llm = middle.twinx()
        handles += llm.plot(ts, [s["children_rss_mb"] for s in samples], color="C1", label="embedded LLM RSS")
        llm.set_ylabel("embedded LLM RSS, MB")
    middle.legend(handles, [h.get_label() for h in handles], fontsize=8, loc="lower right")
    bottom.plot(ts, [float("nan") if s["health_ms"] is None else s["health_ms"] for s in samples], color="C4",
                linewidth=0.8, label="/health, ms")
    bottom.set_ylabel("/health, ms")
    flight = bottom.twinx()
    flight.plot(ts, [s["in_flight"] for s in samples], color="C7", linewidth=0.8, label="turns in flight")
    flight.set_ylabel("turns in flight")
    handles = [*bottom.get_legend_handles_labels()[0], *flight.get_legend_handles_labels()[0]]
    bottom.legend(handles, [h.get_label() for h in handles], fontsize=8, loc="upper right")
    bottom.set_xlabel("seconds since the load started")
    for ax in (top, middle, bottom):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    path = out / f"load_{name}.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
