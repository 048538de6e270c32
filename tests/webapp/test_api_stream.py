"""/ask's streams on a real app server over a scripted LLM: Server-Sent Events read by a real SSE client
(httpx-sse) when the request sends Accept: text/event-stream, NDJSON otherwise; the same events either way, a
404 (not a stream) for a missing space, and no proxy buffering."""
import json

import httpx
import pytest
from httpx_sse import connect_sse

from tests.support.paths import PROTOCOLS

QUESTION = {"q": "Сколько критических уязвимостей выявил аудит?", "space_id": "demo"}


@pytest.fixture(scope="module")
def api(stub_app):
    base, service, stub = stub_app
    service.ingest_files("demo", [("p1.txt", PROTOCOLS / "protocol_001_audit_committee_meeting.txt")])
    return httpx.Client(base_url=base, timeout=60), stub


def test_ask_streams_server_sent_events_to_an_sse_client(api):
    client, _ = api
    with connect_sse(client, "POST", "/ask", json={**QUESTION, "stream": True}) as source:
        assert source.response.headers["x-accel-buffering"] == "no"
        events = [(sse.event, sse.json()) for sse in source.iter_sse()]
    names = [name for name, _ in events]
    assert names[0] == "sources" and names[-1] == "done" and names.count("token") == 6
    assert all(name == data["type"] for name, data in events)
    assert events[0][1]["sources"][0]["file"] == "p1.txt"
    done = events[-1][1]
    assert done["answer"] == "".join(d["text"] for n, d in events if n == "token")
    assert done["cited"] == [1] and done["finish_reason"] == "stop" and done["usage"]["completion_tokens"] == 6


def test_accept_event_stream_alone_asks_for_the_stream(api):
    client, _ = api
    with connect_sse(client, "POST", "/ask", json=QUESTION) as source:
        assert [sse.event for sse in source.iter_sse()][-1] == "done"


def test_ndjson_carries_the_same_events(api):
    client, _ = api
    with client.stream("POST", "/ask", json={**QUESTION, "stream": True}) as resp:
        assert resp.headers["content-type"] == "application/x-ndjson"
        events = [json.loads(line) for line in resp.iter_lines() if line]
    assert [e["type"] for e in events] == ["sources"] + ["token"] * 6 + ["done"]


def test_a_missing_space_is_a_404_not_a_stream(api):
    client, _ = api
    resp = client.post("/ask", json={**QUESTION, "space_id": "nope", "stream": True},
                       headers={"Accept": "text/event-stream"})
    assert resp.status_code == 404 and resp.json()["code"] == "space_not_found"


def test_a_failure_midway_is_an_error_event_then_done(api):
    client, stub = api
    stub.mode = "drop"
    try:
        with connect_sse(client, "POST", "/ask", json={**QUESTION, "stream": True}) as source:
            names = [sse.event for sse in source.iter_sse()]
    finally:
        stub.mode = "ok"
    assert names[0] == "sources" and names[-2:] == ["error", "done"]
