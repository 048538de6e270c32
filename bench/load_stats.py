"""The figures of bench.load, from its raw material: one record per chat turn (when it was sent, by which surface,
ok or the error, TTFT) and one monitor sample per second (the app's RSS, /health's time). Pure functions, so that
their arithmetic is tested on known data.

- Errors by kind: the HTTP status, an error event inside a stream, an empty answer (no content: an empty reply is
  an error), an incomplete stream, the chat's own error message, or the exception's class (a timeout).
- TTFT p50/p99 per time window (turns bucketed by the time they were sent), for both surfaces and each apart.
- RSS growth after warm-up: warm-up is the first WARMUP_SHARE of the run; growth = (median RSS of the last window of
  the run - median RSS of the first window after warm-up) / the latter, windows as wide as the TTFT buckets; and
  the least-squares slope of the RSS after warm-up, MB per minute. The same for the RSS's anonymous part (heaps:
  what a leak grows) and its file-backed part (mapped files, paged in as they are read)."""
from __future__ import annotations

import re
from statistics import median
from typing import Any

from bench.common import percentile

WARMUP_SHARE = 0.2
MAX_ERRORS = 0               # the stub targets of issue 15: no error at all ...
MAX_RSS_GROWTH_PCT = 10.0    # ... and the app's RSS grows less than this after warm-up
TARGET_SESSIONS, TARGET_MINUTES = 64, 5.0


def error_kind(error: str) -> str:
    """The kind of a failed turn, from bench.serve_load's error text."""
    if m := re.match(r"HTTP (\d{3})", error):
        return f"HTTP {m.group(1)}"
    if "error event" in error:
        return "error event"
    if error.startswith("incomplete stream: no content") or error.startswith("the chat gave"):
        return "empty answer"
    if error.startswith("incomplete stream"):
        return "incomplete stream"
    if error.startswith("the chat answered with an error"):
        return "chat error"
    name = error.split(":", 1)[0].strip()
    return name if name.isidentifier() else "other"


def _pcts(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"n": 0, "p50_ms": None, "p99_ms": None}
    return {"n": len(values), "p50_ms": round(percentile(values, 50), 1), "p99_ms": round(percentile(values, 99), 1)}


def ttft_figures(records: list[dict]) -> dict[str, dict[str, Any]]:
    """TTFT p50/p99 (ms) of the ok turns: "all" and per surface."""
    ok = [r for r in records if r["ok"] and r.get("ttft_ms") is not None]
    out = {"all": _pcts([r["ttft_ms"] for r in ok])}
    for surface in sorted({r["surface"] for r in records}):
        out[surface] = _pcts([r["ttft_ms"] for r in ok if r["surface"] == surface])
    return out


def windows(records: list[dict], samples: list[dict], width_s: float, duration_s: float) -> list[dict[str, Any]]:
    """Per `width_s` window of the run: turns sent, errors, TTFT p50/p99, the app's RSS (median, max) and /health's
    time (median, max). Turns are bucketed by the time they were sent; samples after the run (while the last turns
    finish) fall in the last window."""
    count = max(1, -(-int(duration_s * 1000) // int(width_s * 1000)))
    out = []
    for i in range(count):
        lo, hi = i * width_s, (i + 1) * width_s
        last = i == count - 1
        inside = [r for r in records if lo <= r["t_s"] < hi or (last and r["t_s"] >= hi)]
        here = [s for s in samples if lo <= s["t_s"] < hi or (last and s["t_s"] >= hi)]
        rss = [s["app_rss_mb"] for s in here if s["app_rss_mb"] is not None]
        health = [s["health_ms"] for s in here if s["health_ms"] is not None]
        out.append({"from_s": round(lo, 1), "to_s": round(hi, 1), "turns": len(inside),
                    "errors": sum(not r["ok"] for r in inside), "ttft": ttft_figures(inside),
                    "rss_median_mb": round(median(rss), 1) if rss else None, "rss_max_mb": max(rss, default=None),
                    "health_median_ms": round(median(health), 1) if health else None,
                    "health_max_ms": max(health, default=None)})
    return out


def rss_growth(samples: list[dict], duration_s: float, width_s: float, key: str = "app_rss_mb") -> dict[str, Any]:
    """The growth after warm-up of the app's RSS (or of another series of the samples: `key`), see the module's
    doc, with the windows it compares."""
    warmup = WARMUP_SHARE * duration_s
    first = (warmup, min(duration_s, warmup + width_s))
    end = (max(warmup, duration_s - width_s), duration_s)

    def med(lo: float, hi: float) -> float | None:
        values = [s[key] for s in samples if lo <= s["t_s"] <= hi and s.get(key) is not None]
        return median(values) if values else None

    base, last = med(*first), med(*end)
    growth = None if base is None or last is None else (last - base) / base * 100
    return {"warmup_s": round(warmup, 1), "baseline_window_s": [round(x, 1) for x in first],
            "end_window_s": [round(x, 1) for x in end], "baseline_mb": _r(base), "end_mb": _r(last),
            "growth_pct": _r(growth), "slope_mb_per_min": _r(slope_per_min(
                [(s["t_s"], s[key]) for s in samples if warmup <= s["t_s"] <= duration_s and s.get(key) is not None]))}


def slope_per_min(points: list[tuple[float, float]]) -> float | None:
    """The least-squares slope of (seconds, value) points, per minute: whether the RSS still climbs at the end of
    a run, which a growth below the target does not tell."""
    if len(points) < 2:
        return None
    n = len(points)
    mt, mv = sum(t for t, _ in points) / n, sum(v for _, v in points) / n
    var = sum((t - mt) ** 2 for t, _ in points)
    return None if var == 0 else sum((t - mt) * (v - mv) for t, v in points) / var * 60


def summarize(records: list[dict], samples: list[dict], duration_s: float, width_s: float) -> dict[str, Any]:
    """Every figure of one phase: counts, errors by kind (with an example each), TTFT over the whole run and after
    warm-up, RSS (before the load, peak, growth), /health's time, and the per-window series."""
    errors = [r for r in records if not r["ok"]]
    kinds: dict[str, dict[str, Any]] = {}
    for r in errors:
        kind = kinds.setdefault(r["kind"], {"count": 0, "example": r["error"]})
        kind["count"] += 1
    warm = WARMUP_SHARE * duration_s
    rss = [s["app_rss_mb"] for s in samples if s["app_rss_mb"] is not None]
    children = [s["children_rss_mb"] for s in samples]
    health = [s["health_ms"] for s in samples if s["health_ms"] is not None]
    threads = [s["app_threads"] for s in samples if s.get("app_threads") is not None]
    surfaces = sorted({r["surface"] for r in records})
    return {"turns": len(records), "ok": len(records) - len(errors), "errors": len(errors), "errors_by_kind": kinds,
            "turns_by_surface": {s: sum(r["surface"] == s for r in records) for s in surfaces},
            "follow_ups": sum(r["turn"] > 0 for r in records),
            "tokens": sum(r["tokens"] for r in records if r["ok"]),
            "ttft": ttft_figures(records), "ttft_after_warmup": ttft_figures([r for r in records if r["t_s"] >= warm]),
            "rss_first_mb": rss[0] if rss else None, "rss_peak_mb": max(rss, default=None),
            "children_rss_peak_mb": max(children, default=None), "rss_growth": rss_growth(samples, duration_s, width_s),
            "anon_growth": rss_growth(samples, duration_s, width_s, "app_anon_mb"),
            "file_growth": rss_growth(samples, duration_s, width_s, "app_file_mb"),
            "threads": {"first": threads[0] if threads else None, "last": threads[-1] if threads else None,
                        "peak": max(threads, default=None)},
            "health": {"samples": len(samples), "failed": len(samples) - len(health), **_pcts(health)},
            "windows": windows(records, samples, width_s, duration_s)}


def checks(summary: dict[str, Any], sessions: int, minutes: float) -> list[dict[str, Any]]:
    """The stub targets of issue 15, PASS or MISS; `scope` says when the run was smaller than the one the targets
    are set for (64 sessions over 5 minutes)."""
    scope = "" if sessions >= TARGET_SESSIONS and minutes >= TARGET_MINUTES else \
        f"run: {sessions} sessions x {minutes:g} min; the target is set for {TARGET_SESSIONS} x {TARGET_MINUTES:g}"
    growth = summary["rss_growth"]["growth_pct"]
    return [{"target": "errors", "measured": summary["errors"], "threshold": f"= {MAX_ERRORS}",
             "status": "PASS" if summary["errors"] <= MAX_ERRORS and summary["turns"] else "MISS", "scope": scope},
            {"target": "app RSS growth after warm-up, %", "measured": growth,
             "threshold": f"< {MAX_RSS_GROWTH_PCT:g}",
             "status": "PASS" if growth is not None and growth < MAX_RSS_GROWTH_PCT else "MISS", "scope": scope}]


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
