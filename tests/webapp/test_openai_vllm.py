"""The app's OpenAI-compatible route in front of the real vLLM (CPU) server, driven by vLLM's own serving
benchmark (`vllm bench serve --backend openai-chat`, from .venv-vllm): every request completes, tokens stream
one chunk at a time, and the benchmark's usage counts come from our usage chunk."""
import json
import subprocess

import pytest

from tests.support.paths import PROTOCOLS, ROOT
from tests.support.services import start_app
from tests.support.vllm import MODEL, VLLM_PYTHON

PROMPTS = 12


@pytest.fixture(scope="module")
def app_on_vllm(tmp_path_factory, vllm_server):
    service, server = start_app(tmp_path_factory.mktemp("app-vllm"), llm_base_url=f"{vllm_server.base}/v1",
                                llm_model=MODEL, llm_max_tokens=32, top_k=3)
    service.ingest_files("demo", [("p1.txt", PROTOCOLS / "protocol_001_audit_committee_meeting.txt")])
    with server as base:
        yield base
    service.close()


def test_vllm_bench_serve_against_the_app(app_on_vllm, vllm_server, tmp_path):
    out = tmp_path / "result.json"
    cmd = [str(VLLM_PYTHON), str(ROOT / "bench" / "vllm_bench_serve.py"), "--backend", "openai-chat",
           "--base-url", app_on_vllm, "--endpoint", "/v1/chat/completions", "--model", "demo",
           "--tokenizer", str(vllm_server.model_dir), "--dataset-name", "random", "--random-input-len", "24",
           "--random-output-len", "16", "--num-prompts", str(PROMPTS), "--max-concurrency", "4",
           "--save-result", "--result-dir", str(tmp_path), "--result-filename", out.name, "--disable-tqdm"]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=600,
                         env={"HF_HUB_OFFLINE": "1", "VLLM_NO_USAGE_STATS": "1", "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["completed"] == PROMPTS and result.get("failed", 0) == 0, result.get("errors")
    assert result["total_output_tokens"] > 0 and result["output_throughput"] > 0
    assert result["mean_ttft_ms"] > 0 and result["mean_itl_ms"] >= 0
    print(run.stdout[-2500:])
