"""Qdrant at QDRANT_URL cannot be reached (nothing listens there): the app starts anyway, /health is 503 naming the
store and why, and every surface says so with the store's error instead of a 500; no request needs a restart
afterwards, since each one tries the server again (no Qdrant server binary ships to these machines, so its return
is not played here: the in-process and embedded stores cover the answering path)."""
import httpx
import pytest

from tests.support.servers import free_port, serve

QUESTION = "Сколько критических уязвимостей выявил аудит?"


@pytest.fixture(scope="module")
def app(tmp_path_factory, fault_llm):
    from app import create_app
    from config.settings import load_settings
    from tests.support.fault_llm import MODEL

    url = f"http://127.0.0.1:{free_port()}"
    settings = load_settings(env_file=None, qdrant_url=url, qdrant_path="", llm_base_url=fault_llm.base_url,
                             llm_model=MODEL, originals_url=str(tmp_path_factory.mktemp("originals")))
    app = create_app(settings)                     # starts although the store is down
    with serve(app) as base:
        yield base, url
    app.state.service.close()


def test_health_is_503_naming_the_store(app):
    base, url = app
    resp = httpx.get(f"{base}/health", timeout=30)
    body = resp.json()
    assert resp.status_code == 503 and body["store"]["ok"] is False
    assert "cannot be reached" in body["store"]["error"] and url in body["store"]["error"]


@pytest.mark.parametrize("method,path,body", [
    ("POST", "/ask", {"q": QUESTION, "space_id": "demo"}),
    ("GET", "/spaces", None),
    ("GET", "/spaces/demo/documents", None),
    ("POST", "/spaces", {"name": "new"}),
])
def test_rest_answers_503_store_error(app, method, path, body):
    base, url = app
    resp = httpx.request(method, f"{base}{path}", json=body, timeout=60)
    assert resp.status_code == 503 and resp.json()["code"] == "store_error", resp.text
    assert url in resp.json()["detail"]


def test_the_openai_route_answers_in_its_shape(app):
    base, _ = app
    resp = httpx.post(f"{base}/v1/chat/completions", timeout=60,
                      json={"model": "demo", "messages": [{"role": "user", "content": QUESTION}]})
    assert resp.status_code == 503 and resp.json()["error"]["code"] == "store_error", resp.text


def test_an_upload_fails_clearly(app):
    base, _ = app
    resp = httpx.post(f"{base}/ingest", data={"space_id": "demo"}, timeout=60,
                      files=[("files", ("note.txt", "Бюджет утверждён.".encode(), "text/plain"))])
    assert resp.status_code == 503 and resp.json()["code"] == "store_error", resp.text
