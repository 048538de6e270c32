"""Scale-out on existing engines, the app's side: with two real llama.cpp servers in LLM_BASE_URL (as the compose
`replicas` profile gives it two vLLM instances), concurrent answers are spread over both, and when one server is
killed between two bursts the next burst is answered by the other (failover before the first token, a warning
per failure in the log, the failover counted on /metrics)."""
from __future__ import annotations

import asyncio
import logging

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.models import TEST_LLM
from tests.support.paths import PROTOCOLS
from tests.support.services import start_app

QUESTION = {"q": "Сколько критических уязвимостей выявил аудит?", "space_id": "demo"}
pytestmark = pytest.mark.slow


async def burst(base: str, n: int) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=base, timeout=300) as client:
        return await asyncio.gather(*(client.post("/ask", json=QUESTION) for _ in range(n)))


def llm_counts(base: str) -> dict[tuple[str, str], float]:
    families = text_string_to_metric_families(httpx.get(f"{base}/metrics").text)
    return {(s.labels.get("endpoint", ""), s.name): s.value for f in families for s in f.samples
            if s.name in ("quadrate_llm_requests_total", "quadrate_llm_failovers_total")
            and s.labels.get("outcome", "ok") == "ok"}


def test_answers_spread_over_two_servers_and_fail_over_when_one_dies(tmp_path, llama_server, caplog):
    from rag.llm.local_server import LocalLLMServer

    second = LocalLLMServer(TEST_LLM, cache_dir=tmp_path / "models", threads=1, n_ctx=4096).start(timeout=120)
    urls = [llama_server.base_url, second.base_url]
    service, server = start_app(tmp_path / "app", llm_base_url=",".join(urls), llm_model=llama_server.alias,
                                llm_max_tokens=16, llm_chars_per_token=llama_server.chars_per_token, top_k=2)
    service.ingest_files("demo", [("p1.txt", PROTOCOLS / "protocol_001_audit_committee_meeting.txt")])
    caplog.set_level(logging.WARNING)
    try:
        with server as base:
            first = asyncio.run(burst(base, 4))
            assert [r.status_code for r in first] == [200] * 4, [r.text[:200] for r in first]
            served = llm_counts(base)
            assert all(served.get((url, "quadrate_llm_requests_total"), 0) >= 1 for url in urls), served
            second.stop()                                       # one replica dies
            after = asyncio.run(burst(base, 4))
            assert [r.status_code for r in after] == [200] * 4, [r.text[:200] for r in after]
            assert all(r.json()["answer"] for r in after)
            counts = llm_counts(base)
            assert counts.get((second.base_url, "quadrate_llm_failovers_total"), 0) >= 1, counts
            assert counts[(llama_server.base_url, "quadrate_llm_requests_total")] >= \
                served[(llama_server.base_url, "quadrate_llm_requests_total")] + 4
    finally:
        second.stop()
        service.close()
    assert any("failed" in r.getMessage() or "down" in r.getMessage() for r in caplog.records
               if r.levelno >= logging.WARNING)
