"""Shared fixtures: real parts only (Qdrant local mode on a temp dir, the packaged embedder, a real llama.cpp
OpenAI server on a packaged GGUF)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from tests.support.models import TEST_LLM
from tests.support.paths import CORPUS, FIXTURES

# A test using one of these fixtures, directly or through another fixture, gets the marker (see pyproject.toml):
# service_factory and the webapp's app_server run on llama_server, the webapp's page on chromium.
FIXTURE_MARKERS = {"llama_server": "integration", "chromium": "browser", "vllm_server": "vllm"}


def pytest_collection_modifyitems(items):
    for item in items:
        for fixture, marker in FIXTURE_MARKERS.items():
            if fixture in getattr(item, "fixturenames", ()):
                item.add_marker(marker)


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.fail(f"the shared corpus is missing at {CORPUS} (set QC_SHARED)")
    return CORPUS


@pytest.fixture(scope="session")
def sdists() -> Path:
    """Folder holding the unpacked python-docx, python-pptx and ocrmypdf source packages and their test files."""
    if not (FIXTURES / ".done").exists():
        pytest.fail(f"real test documents missing at {FIXTURES}: run `make fixtures` (make test does)")
    return FIXTURES


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory):
    """A real llama.cpp OpenAI-compatible server on a packaged model, for the whole session."""
    from rag.llm.local_server import LocalLLMServer

    server = LocalLLMServer(TEST_LLM, cache_dir=tmp_path_factory.mktemp("models"), threads=1, n_ctx=4096)
    server.start(timeout=120)
    yield server
    server.stop()


@pytest.fixture
def make_settings(tmp_path):
    from config.settings import load_settings

    def factory(**overrides):
        base = {"qdrant_path": str(tmp_path / "qdrant"), "qdrant_url": "", "llm_max_tokens": 64, "top_k": 3}
        base.update(overrides)
        return load_settings(env_file=None, **base)

    return factory


@pytest.fixture
def service_factory(make_settings, llama_server):
    """RagService instances on a temp store, answering through the session's llama.cpp server."""
    from rag import build_service

    made = []

    def factory(**overrides):
        overrides.setdefault("llm_base_url", llama_server.base_url)
        overrides.setdefault("llm_model", llama_server.alias)
        overrides.setdefault("llm_chars_per_token", llama_server.chars_per_token)
        service = build_service(make_settings(**overrides))
        made.append(service)
        return service

    yield factory
    for service in made:
        service.close()


@pytest.fixture(scope="session")
def vllm_server(tmp_path_factory):
    """A real vLLM server (CPU) on a tiny Llama, for the whole session: it takes a minute to start."""
    from tests.support.vllm import serve_vllm

    with serve_vllm(tmp_path_factory.mktemp("tiny-llama")) as server:
        yield server


@pytest.fixture(scope="module")
def fault_llm():
    """A scripted OpenAI-compatible endpoint for injecting faults (tests.support.fault_llm)."""
    from tests.support.fault_llm import serve_stub

    with serve_stub() as stub:
        yield stub

