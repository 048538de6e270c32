"""deploy/nginx/vllm-least-conn.conf through Debian's real nginx in front of two real llama.cpp OpenAI servers (the
stand-ins for two vLLM instances here): concurrent streamed completions are spread over both (nginx's access log
names the upstream of each), tokens arrive as a stream, the app answers through it with LLM_BASE_URL at nginx,
and with one instance killed every request still succeeds on the other."""
from __future__ import annotations

import asyncio
import re

import httpx
import pytest

from tests.deploy.test_nginx_streaming import NGINX, run_nginx
from tests.support.models import TEST_LLM
from tests.support.paths import PROTOCOLS, ROOT
from tests.support.servers import free_port
from tests.support.services import start_app

SITE = ROOT / "deploy" / "nginx" / "vllm-least-conn.conf"
pytestmark = [pytest.mark.slow, pytest.mark.skipif(NGINX is None, reason="Debian nginx is not installed")]


def render(a: str, b: str, port: int, log: str) -> str:
    site = SITE.read_text(encoding="utf-8")
    swaps = {"server 127.0.0.1:8001 ": f"server {a} ", "server 127.0.0.1:8011 ": f"server {b} ",
             "listen 8080;": f"listen 127.0.0.1:{port};", "/var/log/nginx/vllm-pool.log": log}
    for line, new in swaps.items():
        assert line in site, f"{SITE} lost its template text {line!r}"
        site = site.replace(line, new)
    return site


async def stream_chunks(base: str, model: str, n: int) -> list[int]:
    """Content chunks each of n concurrent streamed completions brought."""
    async def one(client: httpx.AsyncClient) -> int:
        chunks = 0
        async with client.stream("POST", "/v1/chat/completions", json={
                "model": model, "stream": True, "max_tokens": 24,
                "messages": [{"role": "user", "content": "Назови три цвета."}]}) as resp:
            assert resp.status_code == 200
            async for line in resp.aiter_lines():
                chunks += line.startswith("data: {") and '"content"' in line
        return chunks

    async with httpx.AsyncClient(base_url=base, timeout=300) as client:
        return await asyncio.gather(*(one(client) for _ in range(n)))


def test_least_conn_spreads_streams_and_survives_a_dead_instance(tmp_path, llama_server):
    from rag.llm.local_server import LocalLLMServer

    second = LocalLLMServer(TEST_LLM, cache_dir=tmp_path / "models", threads=1, n_ctx=4096).start(timeout=120)
    hosts = [u.removeprefix("http://").removesuffix("/v1") for u in (llama_server.base_url, second.base_url)]
    port, log = free_port(), tmp_path / "pool.log"
    try:
        with run_nginx(tmp_path / "nginx", render(*hosts, port, str(log)), port) as proxied:
            chunks = asyncio.run(stream_chunks(proxied, llama_server.alias, 4))
            assert all(c >= 3 for c in chunks), chunks                        # streamed, not one lump
            used = re.findall(r"upstream=(\S+)", log.read_text(encoding="utf-8"))
            assert set(hosts) <= set(used), used                               # both instances served
            service, server = start_app(tmp_path / "app", llm_base_url=f"{proxied}/v1",
                                        llm_model=llama_server.alias, llm_max_tokens=16, top_k=2,
                                        llm_chars_per_token=llama_server.chars_per_token)
            service.ingest_files("demo", [("p1.txt", PROTOCOLS / "protocol_001_audit_committee_meeting.txt")])
            with server as app:
                answer = httpx.post(f"{app}/ask", json={"q": "Сколько уязвимостей выявил аудит?",
                                                        "space_id": "demo"}, timeout=300)
                assert answer.status_code == 200 and answer.json()["answer"]
            service.close()
            second.stop()                                                      # one instance dies
            after = asyncio.run(stream_chunks(proxied, llama_server.alias, 3))
            assert all(c >= 3 for c in after), after
    finally:
        second.stop()
