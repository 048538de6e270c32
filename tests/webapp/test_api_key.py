"""API_KEY on a real app server: every route in the OpenAPI document but /health and /metrics refuses a request
without the key or with a wrong one (401, WWW-Authenticate: Bearer; OpenAI's error shape on /v1), accepts the
right one, and the key is never logged. With API_KEY unset the same routes need nothing (the other API tests)."""
import logging

import httpx
import pytest

from tests.support.services import app_over_stub

KEY = "k3y-that-must-never-be-logged"
OPEN = {"/health", "/metrics"}


@pytest.fixture(scope="module")
def guarded(tmp_path_factory, fault_llm):
    with app_over_stub(tmp_path_factory.mktemp("api-key"), fault_llm, api_key=KEY) as (base, _):
        yield base


def _calls(base: str) -> list[tuple[str, str]]:
    """(method, path) of every route in the OpenAPI document, path parameters filled in."""
    spec = httpx.get(f"{base}/openapi.json", timeout=30).json()
    calls = []
    for path, methods in spec["paths"].items():
        filled = path.replace("{name}", "demo").replace("{file_name}", "p1.txt").replace("{model}", "demo")
        calls += [(method.upper(), filled) for method in methods]
    return calls


def test_every_route_but_health_and_metrics_needs_the_key(guarded, caplog):
    caplog.set_level(logging.DEBUG)
    calls = _calls(guarded)
    assert len(calls) >= 10 and ("POST", "/v1/chat/completions") in calls
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {KEY}"}):
        for method, path in calls:
            resp = httpx.request(method, f"{guarded}{path}", headers=headers, timeout=30)
            if path in OPEN:
                assert resp.status_code == 200, (method, path)
                continue
            assert resp.status_code == 401, (method, path, headers, resp.text)
            assert resp.headers["www-authenticate"] == "Bearer"
            body = resp.json()
            if path.startswith("/v1/"):
                assert body["error"]["type"] == "authentication_error" and body["error"]["code"] == "invalid_api_key"
            else:
                assert body["code"] == "invalid_api_key" and "API key" in body["detail"]
    assert KEY not in caplog.text


def test_the_right_key_opens_every_route(guarded, caplog):
    caplog.set_level(logging.DEBUG)
    auth = {"Authorization": f"Bearer {KEY}"}
    client = httpx.Client(base_url=guarded, headers=auth, timeout=60)
    assert [s["name"] for s in client.get("/spaces").json()] == ["demo"]
    assert client.get("/v1/models").json()["data"][0]["id"] == "demo"
    answer = client.post("/ask", json={"q": "Сколько критических уязвимостей выявил аудит?", "space_id": "demo"})
    assert answer.status_code == 200 and answer.json()["answer"]
    chat = client.post("/v1/chat/completions", json={"model": "demo", "messages": [
        {"role": "user", "content": "Сколько критических уязвимостей выявил аудит?"}]})
    assert chat.status_code == 200 and chat.json()["choices"][0]["message"]["content"]
    assert client.get("/spaces/demo/documents").json()[0]["name"] == "p1.txt"
    assert client.post("/spaces", json={"name": "other"}).status_code == 201
    assert client.delete("/spaces/other").status_code == 200
    assert KEY not in caplog.text
