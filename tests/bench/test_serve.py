"""bench.serve: the load generator against the paced stub LLM (fast), and the whole `--quick` overhead run (stub,
app on it, direct vs /v1 vs Gradio chat) writing its markdown, JSON and plots (slow: it starts the app)."""
from __future__ import annotations

import asyncio
import json

import pytest

from bench import gradio_chat, serve_load, serve_report
from bench.stub_llm import MODEL, build_app, token_text
from tests.support.servers import serve


def test_targets_parse_openai_gradio_and_model():
    t = serve_load.Target.parse("app=http://127.0.0.1:8000/v1#demo")
    assert (t.name, t.kind, t.url, t.model) == ("app", "openai", "http://127.0.0.1:8000/v1", "demo")
    g = serve_load.Target.parse("chat=gradio+http://127.0.0.1:8000/#demo")
    assert (g.kind, g.url, g.model) == ("gradio", "http://127.0.0.1:8000", "demo")
    assert serve_load.Target.parse("llama=http://h:8001/v1").model == ""
    with pytest.raises(ValueError):
        serve_load.Target.parse("http://no-name/v1")


def test_gradio_status_lines_match_the_app():
    from webapp.ui.chat_stream import STATUS

    for words in STATUS.values():
        for key in ("searching", "reading"):
            assert words[key].split("{")[0].startswith(gradio_chat.GRADIO_STATUS_PREFIXES)


def test_the_chat_s_last_update_with_the_citations_is_no_token():
    assert gradio_chat._final_render("Аудит выявил 3 ", "Аудит выявил 3\n\nИсточники:\n[1] protocol_001.txt")
    assert gradio_chat._final_render("The answer [1]. ", "The answer [1].")       # no sources: stripped only
    assert not gradio_chat._final_render("The answer", "The answer [1]")        # the app's added citation token
    def history(text: str) -> list[dict]:   # as gradio_client gives it: content as a list of parts
        return [{"role": "user", "content": "q"}, {"role": "assistant", "content": [{"type": "text", "text": text}]}]

    assert gradio_chat._answer_text(history("Ищу в документах…")) is None
    assert gradio_chat._answer_text(history("Аудит ")) == "Аудит "


def test_a_level_against_the_stub_counts_tokens_ttft_and_gaps():
    async def level(base: str):
        target = serve_load.Target("stub", "openai", f"{base}/v1")
        async with serve_load.openai_client(4, 30) as client:
            target.model = await serve_load.first_model(client, target.url)
            result = await serve_load.run_level(
                "stub", lambda p: serve_load.openai_request(client, target, p, 12), ["a", "b"], 4, 8)
        return target, serve_load.summarize(result)

    with serve(build_app(token_ms=5, first_token_ms=30, tokens=64), ready_path="/v1/models") as base:
        target, s = asyncio.run(level(base))
    assert target.model == MODEL
    assert (s["requests"], s["ok"], s["errors"]) == (8, 8, 0)
    assert s["completion_tokens"] == 8 * 12 and s["tokens_from_usage"] == 8   # max_tokens honoured, usage read
    assert 25 <= s["ttft_p50_ms"] < 500 and 3 <= s["itl_p50_ms"] < 100
    assert s["tokens_per_s"] > 0 and s["requests_per_s"] > 0
    assert token_text(11).endswith("\n")   # a line break every 12 words: translation reads one line


def test_the_table_and_the_checks_from_summaries():
    def summary(c, tps, ttft, itl, errors=0):
        return {"concurrency": c, "requests": 8, "tokens_per_s": tps, "ttft_p50_ms": ttft, "ttft_p99_ms": ttft * 2,
                "itl_p50_ms": itl, "itl_p99_ms": itl + 1, "requests_per_s": 1.0, "wall_s": 8.0, "errors": errors,
                "first_error": "HTTP 502: boom" if errors else ""}

    summaries = {"direct": {32: summary(32, 1000.0, 40.0, 20.0)}, "app": {32: summary(32, 960.0, 60.0, 20.5)},
                 "gradio": {32: summary(32, 500.0, 200.0, 50.0, errors=2)}}
    table = serve_report.markdown_table(summaries)
    assert "| concurrency | metric | direct | app | gradio |" in table
    assert "| 32 | 8 requests, s |" in table and "gradio @ 32: 2 errors, first: HTTP 502: boom" in table
    checks = {c["target"]: c for c in serve_report.overhead_checks(summaries, "direct", "app", "gradio")}
    assert checks["app TTFT p50 added over direct, ms"]["measured"] == 20.0
    assert checks["app TTFT p50 added over direct, ms"]["status"] == "PASS"
    assert checks["app TTFT p99 added over direct, ms"]["status"] == "PASS"        # +40 ms
    assert checks["app /v1 throughput, share of direct"]["measured"] == 0.96
    assert checks["Gradio chat throughput, share of direct"]["status"] == "MISS"   # 0.5, and errors


@pytest.mark.slow
def test_quick_overhead_run_writes_table_json_and_plots(tmp_path):
    from bench.serve import main

    assert main(["--quick", "--out", str(tmp_path)]) == 0
    data = json.loads((tmp_path / "serve.json").read_text())
    assert data["machine"]["cpu_count"] and "--quick" in data["command"]
    assert set(data["summaries"]) == {"direct", "app", "gradio"}
    for name, levels in data["summaries"].items():
        assert set(levels) == {"1", "8"}, name
        for s in levels.values():
            assert s["errors"] == 0, (name, s["first_error"])
            assert s["tokens_per_s"] > 0 and s["requests_per_s"] > 0 and s["ttft_p50_ms"] > 0, (name, s)
            assert s["ttft_p99_ms"] >= s["ttft_p50_ms"]
    assert data["summaries"]["app"]["1"]["app_retrieval_mean_ms"] > 0   # read from the app's /metrics
    assert {c["status"] for c in data["checks"]} <= {"PASS", "MISS"} and data["checks"]
    assert len(data["requests"]["app"]["8"]) == 8
    md = (tmp_path / "serve.md").read_text()
    assert "| concurrency | metric | direct | app | gradio |" in md
    assert "## Overhead of the app" in md and ("PASS" in md or "MISS" in md)
    for png in ("serve_tokens.png", "serve_ttft.png"):
        assert (tmp_path / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
