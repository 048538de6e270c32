"""Hostile and malformed input to the HTTP API: clear 413s and 422s, never a 500 or a broken stream."""
import httpx
import pytest

from tests.support.paths import PROTOCOLS


@pytest.fixture(scope="module")
def client(app_server):
    client = httpx.Client(base_url=app_server, timeout=120)
    client.post("/spaces", json={"name": "limits"})
    client.post("/ingest", data={"space_id": "limits"},
                files=[("files", ("p1.txt", (PROTOCOLS / "protocol_001_audit_committee_meeting.txt").read_bytes()))])
    yield client
    client.close()


@pytest.mark.parametrize("body,limit", [
    ({"q": "я" * 8001}, "MAX_QUESTION_CHARS"),
    ({"q": "hi", "history": [{"role": "user", "content": "x"}] * 51}, "MAX_HISTORY_MESSAGES"),
    ({"q": "hi", "history": [{"role": "user", "content": "x" * 8001}]}, "MAX_MESSAGE_CHARS"),
    ({"q": "hi", "history": [{"role": "user", "content": "x" * 8000}] * 13}, "MAX_HISTORY_CHARS"),
])
def test_over_the_limits_is_413_naming_the_limit(client, body, limit):
    resp = client.post("/ask", json={"space_id": "limits", **body})
    assert resp.status_code == 413 and limit in resp.json()["detail"]


def test_a_huge_body_is_refused_before_it_is_parsed(client):
    """20 history messages of 1 MB each froze every route for 18 minutes before the limits existed."""
    huge = '{"q": "hi", "space_id": "limits", "history": [' + ",".join(
        ['{"role": "user", "content": "' + "x" * 1_000_000 + '"}'] * 20) + "]}"
    resp = client.post("/ask", content=huge.encode(), headers={"content-type": "application/json"})
    assert resp.status_code == 413 and "MAX_HISTORY_CHARS" in resp.json()["detail"]

    def chunks():  # the same without a Content-Length: counted while it is read
        yield huge[:1000].encode()
        for i in range(1000, len(huge), 1 << 20):
            yield huge[i:i + (1 << 20)].encode()

    resp = client.post("/ask", content=chunks(), headers={"content-type": "application/json"})
    assert resp.status_code == 413


@pytest.mark.parametrize("raw", [
    '{"q": "hi", "space_id": "limits", "top_k": NaN}',
    '{"q": "hi", "space_id": "limits", "top_k": 1e309}',
    '{"q": "hi", "space_id": "limits", "top_k": Infinity}',
    '{"q": "\\ud800 lone surrogate", "space_id": "limits"}',
    '{"q": "hi", "space_id": "limits", "history": [{"role": "user", "content": "\\udfff"}]}',
    '{"q": "hi", "space_id": "limits", "history": [{"role": "user", "content": ' + "[" * 500 + "]" * 500 + "}]}",
    '{"q": "hi", "space_id": "limits", "history": [{"role": "robot", "content": "x"}]}',
    '{"q": "hi", "space_id": "limits", "history": "not a list"}',
    '{"q": 5, "space_id": ["x"]}',
])
def test_malformed_input_is_422(client, raw):
    resp = client.post("/ask", content=raw.encode(), headers={"content-type": "application/json"})
    assert resp.status_code == 422, resp.text
    assert resp.json()["detail"][0]["msg"]


def test_space_names_with_surrogates_or_slashes_are_422(client):
    assert client.post("/spaces", content=b'{"name": "\\ud83d"}',
                       headers={"content-type": "application/json"}).status_code == 422
    assert client.post("/spaces", json={"name": "a/b"}).status_code == 422


def test_creating_an_existing_space_is_409(client):
    resp = client.post("/spaces", json={"name": "limits"})
    assert resp.status_code == 409 and "already exists" in resp.json()["detail"]


def test_a_legal_history_with_text_parts_is_answered(client):
    history = [{"role": "user", "content": "Какой срок устранения уязвимостей?"},
               {"role": "assistant", "content": [{"type": "text", "text": "До 30.04.2024 [1]"}]}]
    resp = client.post("/ask", json={"q": "а кто ответственный?", "space_id": "limits", "history": history})
    assert resp.status_code == 200 and resp.json()["answer"]
