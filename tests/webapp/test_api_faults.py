"""The HTTP API over a faulty LLM (a scripted endpoint): a failed answer is never a 200 with an empty answer, and
a stream that fails midway ends with an error event."""
import json

import httpx
import pytest

from tests.support.services import app_over_stub


@pytest.fixture(scope="module")
def api(tmp_path_factory, fault_llm):
    with app_over_stub(tmp_path_factory.mktemp("faults"), fault_llm) as (base, _):
        yield httpx.Client(base_url=base, timeout=60), fault_llm


QUESTION = {"q": "Сколько критических уязвимостей выявил аудит?", "space_id": "demo"}


@pytest.mark.parametrize("mode,status", [("empty", 502), ("no_finish", 502), ("drop", 502), ("error500", 503)])
def test_a_failed_answer_is_an_error_status_with_the_sources(api, mode, status):
    client, stub = api
    stub.mode = mode
    try:
        resp = client.post("/ask", json=QUESTION)
    finally:
        stub.mode = "ok"
    body = resp.json()
    assert resp.status_code == status and body["error_code"] and body["error"]
    assert body["sources"] and "одель" in body["answer"]


@pytest.mark.parametrize("mode", ["drop", "no_finish", "empty"])
def test_a_stream_that_fails_midway_ends_with_an_error_event(api, mode):
    client, stub = api
    stub.mode = mode
    try:
        with client.stream("POST", "/ask", json={**QUESTION, "stream": True}) as resp:
            events = [json.loads(line) for line in resp.iter_lines() if line]
    finally:
        stub.mode = "ok"
    assert events[0]["type"] == "sources" and events[0]["sources"]
    assert [e["type"] for e in events[-2:]] == ["error", "done"]
    assert events[-2]["code"] == "llm_incomplete" and events[-1]["error_code"] == "llm_incomplete"


def test_a_good_answer_is_200(api):
    client, _ = api
    resp = client.post("/ask", json=QUESTION)
    assert resp.status_code == 200 and resp.json()["answer"].startswith("Аудит выявил") and not resp.json()["error"]
