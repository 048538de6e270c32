"""bench.load: its arithmetic on known data (windows, TTFT percentiles, RSS growth after warm-up, error kinds, the
targets), the /proc readings of the monitor, and a tiny real run (stub LLM, the app, 4 sessions for 18 s on both
surfaces) writing its table, JSON and PNG (slow: it starts the app)."""
from __future__ import annotations

import json
import os

import pytest

from bench import load_monitor, load_stats


def turn(t: float, ttft: float | None, surface: str = "openai", ok: bool = True, error: str = "",
         turn_no: int = 0) -> dict:
    return {"t_s": t, "surface": surface, "session": 0, "turn": turn_no, "ok": ok, "ttft_ms": ttft, "tokens": 10,
            "error": error, "kind": load_stats.error_kind(error) if error else ""}


def sample(t: float, rss: float, health: float | None = 5.0) -> dict:
    return {"t_s": t, "app_rss_mb": rss, "app_anon_mb": rss - 100, "app_file_mb": 100.0, "app_threads": 40 + t // 30,
            "children_rss_mb": 0.0, "health_ms": health, "health_status": 200, "in_flight": 1}


def test_error_kinds_from_the_clients_error_texts():
    kinds = {"HTTP 503: {'error': ...}": "HTTP 503", "RuntimeError: error event: {\"message\": \"x\"}": "error event",
             "incomplete stream: no content": "empty answer", "incomplete stream: no [DONE]": "incomplete stream",
             "the chat gave 1 answer updates: ''": "empty answer",
             "the chat answered with an error: '⚠️ LLM down'": "chat error", "ReadTimeout: timed out": "ReadTimeout",
             "?? weird": "other"}
    assert {text: load_stats.error_kind(text) for text in kinds} == kinds


def test_ttft_percentiles_per_window_and_surface():
    # window 0-10: openai TTFTs 100..1000 (p50 550, p99 991 by linear interpolation), one gradio at 2000 and an
    # error; window 10-20: one turn sent at 25 s (after the run: it counts in the last window)
    records = [turn(i, 100.0 * (i + 1)) for i in range(10)]
    records += [turn(5, 2000.0, "gradio"), turn(6, None, "gradio", ok=False, error="HTTP 502: x"), turn(25, 300.0)]
    samples = [sample(t, 100 + t) for t in range(0, 21)]
    windows = load_stats.windows(records, samples, 10, 20)
    assert [(w["from_s"], w["to_s"], w["turns"], w["errors"]) for w in windows] == [(0, 10, 12, 1), (10, 20, 1, 0)]
    first = windows[0]["ttft"]
    assert first["openai"] == {"n": 10, "p50_ms": 550.0, "p99_ms": 991.0}
    assert first["gradio"] == {"n": 1, "p50_ms": 2000.0, "p99_ms": 2000.0}
    assert first["all"]["n"] == 11 and first["all"]["p50_ms"] == 600.0
    assert windows[1]["ttft"]["all"] == {"n": 1, "p50_ms": 300.0, "p99_ms": 300.0}
    assert windows[0]["rss_median_mb"] == 104.5 and windows[1]["rss_median_mb"] == 115.0   # 10..20 (20 is last)
    assert windows[0]["rss_max_mb"] == 109


def test_rss_growth_compares_the_window_after_warm_up_with_the_last():
    # 100 s run, 10 s windows: warm-up 0-20 s (a climb from 50 MB to be ignored), baseline window 20-30 s at
    # 200 MB, then +1 MB every 10 s up to the last window 90-100 s at 207 MB: +3.5 %
    samples = [sample(t, 50 + t * 7.5) for t in range(20)]
    samples += [sample(t, 200 + (t - 20) // 10) for t in range(20, 101)]
    growth = load_stats.rss_growth(samples, 100, 10)
    assert growth["warmup_s"] == 20 and growth["baseline_window_s"] == [20, 30] and growth["end_window_s"] == [90, 100]
    assert growth["baseline_mb"] == 200 and growth["end_mb"] == 207
    assert growth["growth_pct"] == 3.5
    assert growth["slope_mb_per_min"] == pytest.approx(6.0, abs=0.3)    # +1 MB per 10 s, in steps
    assert load_stats.slope_per_min([(0, 10), (30, 11), (60, 12)]) == 2.0
    assert load_stats.slope_per_min([(5, 10)]) is None
    flat = load_stats.rss_growth([sample(t, 300) for t in range(101)], 100, 10)
    assert flat["growth_pct"] == 0 and flat["slope_mb_per_min"] == 0
    assert load_stats.rss_growth([], 100, 10)["growth_pct"] is None


def test_summary_and_targets():
    samples = [sample(t, 200 + t) for t in range(61)]   # 200 -> 260 MB: after warm-up 12-22 s (217) -> 50-60 (255)
    records = [turn(t, 100.0, turn_no=t % 2) for t in range(60)]
    summary = load_stats.summarize(records, samples, 60, 10)
    assert (summary["turns"], summary["errors"], summary["follow_ups"]) == (60, 0, 30)
    assert summary["rss_first_mb"] == 200 and summary["rss_peak_mb"] == 260
    assert summary["rss_growth"]["growth_pct"] == pytest.approx((255 - 217) / 217 * 100, abs=0.01)
    assert summary["anon_growth"]["growth_pct"] == pytest.approx((155 - 117) / 117 * 100, abs=0.01)
    assert summary["file_growth"]["growth_pct"] == 0 and summary["rss_growth"]["slope_mb_per_min"] == 60
    assert summary["threads"] == {"first": 40, "last": 42, "peak": 42}
    assert len(summary["windows"]) == 6 and summary["health"]["failed"] == 0
    by = {c["target"]: c for c in load_stats.checks(summary, 64, 5)}
    assert by["errors"]["status"] == "PASS" and not by["errors"]["scope"]
    assert by["app RSS growth after warm-up, %"]["status"] == "MISS"   # 17.5 %
    failing = load_stats.summarize([*records, turn(3, None, ok=False, error="ReadTimeout: x")],
                                   [sample(t, 200) for t in range(61)], 60, 10)
    assert failing["errors_by_kind"] == {"ReadTimeout": {"count": 1, "example": "ReadTimeout: x"}}
    by = {c["target"]: c for c in load_stats.checks(failing, 16, 1)}
    assert by["errors"]["status"] == "MISS" and by["app RSS growth after warm-up, %"]["status"] == "PASS"
    assert "16 sessions x 1 min" in by["errors"]["scope"]


def test_monitor_reads_this_process_and_its_children():
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert child.pid in load_monitor.descendants(os.getpid())
        assert 1 < load_monitor.rss_mb(os.getpid()) < 100_000
        me = load_monitor.status(os.getpid())
        assert me["anon_mb"] + me["file_mb"] == pytest.approx(me["rss_mb"], abs=me["rss_mb"] * 0.2)
        assert me["threads"] >= 1
    finally:
        child.kill()
        child.wait()
    assert load_monitor.rss_mb(child.pid) is None


@pytest.mark.slow
def test_a_tiny_real_run_on_the_stub(tmp_path):
    from bench.load import main

    assert main(["--llm", "stub", "--sessions", "4", "--minutes", "0.3", "--window", "6", "--files", "2",
                 "--out", str(tmp_path)]) == 0
    data = json.loads((tmp_path / "load.json").read_text())
    assert "--sessions 4" in data["command"] and data["machine"]["cpu_count"]
    stub = data["phases"]["stub"]
    s = stub["summary"]
    assert s["errors"] == 0, s["errors_by_kind"]
    assert stub["warmup_errors"] == []
    assert s["turns_by_surface"]["openai"] >= 4 and s["turns_by_surface"]["gradio"] >= 4
    follow_ups = [t for t in stub["turns"] if t["turn"] > 0]
    assert {t["surface"] for t in follow_ups} == {"openai", "gradio"}
    assert all(t["history"] >= 2 for t in follow_ups)     # a follow-up carries the conversation
    assert [w["from_s"] for w in s["windows"]] == [0, 6, 12]
    assert all(w["turns"] > 0 and w["ttft"]["all"]["p50_ms"] > 0 for w in s["windows"])
    assert len(stub["samples"]) >= 15 and all(x["app_rss_mb"] > 50 for x in stub["samples"])
    assert all(x["app_anon_mb"] > 10 and x["app_threads"] > 1 for x in stub["samples"])
    assert s["rss_growth"]["growth_pct"] is not None and s["health"]["n"] >= 15
    assert {c["status"] for c in stub["checks"]} <= {"PASS", "MISS"} and len(data["checks"]) == 2
    md = (tmp_path / "load.md").read_text()
    assert "| stub | 4 × 0.3 |" in md and "| stub: window, s |" in md and "| errors | 0 | = 0 | PASS" in md
    assert (tmp_path / "load_stub.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    (tmp_path / "load.md").unlink()
    assert main(["--report", str(tmp_path)]) == 0          # the figures again from the turns and samples
    assert (tmp_path / "load.md").read_text() == md
