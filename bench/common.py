"""Shared helpers for benchmarks: results folder, JSON output, percentiles, bar charts."""
from __future__ import annotations

import json
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
SHARED = Path(__file__).resolve().parents[2] / "shared"


def percentile(values: list[float], q: float) -> float:
    import numpy as np

    return float(np.percentile(np.array(values), q))


def result_folder(out: Path | None, prefix: str) -> tuple[str, Path]:
    """(a timestamp, the folder for a run's outputs: `out`, or RESULTS/<prefix>-<timestamp>), created."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    folder = out or RESULTS / f"{prefix}-{stamp}"
    folder.mkdir(parents=True, exist_ok=True)
    return stamp, folder


def write_json(name: str, data: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1))
    return path


def bar_chart(name: str, title: str, groups: list[str], series: dict[str, list[float]], ylabel: str,
              log: bool = False) -> Path:
    """Grouped bars: one group per x label (wrapped), one bar per series; `log` for a logarithmic y axis."""
    import textwrap

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    RESULTS.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(groups) * max(1, len(series)) / 2), 4))
    width = 0.8 / max(1, len(series))
    for i, (label, values) in enumerate(series.items()):
        xs = [g + i * width for g in range(len(groups))]
        bars = ax.bar(xs, values, width, label=label)
        ax.bar_label(bars, fmt="%.2f", fontsize=8)
    ax.set_xticks([g + width * (len(series) - 1) / 2 for g in range(len(groups))],
                  [textwrap.fill(g, 22) for g in groups], fontsize=8)
    if log:
        ax.set_yscale("log")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    path = RESULTS / f"{name}.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
