"""A real app server (uvicorn in a thread) around a real service: Qdrant local store on a temp dir, the packaged
embedder, and the session's llama.cpp server."""
import socket
import threading
import time

import httpx
import pytest
import uvicorn


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def app_server(tmp_path_factory, llama_server):
    from app import create_app
    from config.settings import load_settings
    from rag.service import RagService

    tmp = tmp_path_factory.mktemp("app")
    settings = load_settings(env_file=None, qdrant_path=str(tmp / "qdrant"), qdrant_url="",
                             llm_base_url=llama_server.base_url, llm_model=llama_server.alias, llm_max_tokens=48,
                             llm_chars_per_token=llama_server.chars_per_token,
                             top_k=3, port=_free_port())
    service = RagService(settings)
    app = create_app(settings, service)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=settings.port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{settings.port}"
    for _ in range(200):
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code in (200, 503):
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    yield base
    server.should_exit = True
    thread.join(timeout=15)
