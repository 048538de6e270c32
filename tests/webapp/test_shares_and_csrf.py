"""Shared links and browser-side attacks on real servers: a space link gives a chat-only view of one space, limited
to N questions a minute, until it is revoked or expires; a conversation link is a read-only, escaped snapshot; no
other site can post into a space (AUTH=off too, where a cross-site upload used to work); the Host header is
checked (DNS rebinding); and a deleted document leaves no copy to download."""
import time

import httpx
import pytest

from rag import Principal
from tests.support.paths import PROTOCOLS
from tests.support.services import app_over_stub

QUESTION = {"q": "Сколько критических уязвимостей выявил аудит?", "space_id": "demo"}
OWNER = Principal(user="olga")


@pytest.fixture(scope="module")
def shared(tmp_path_factory, fault_llm):
    with app_over_stub(tmp_path_factory.mktemp("shares"), fault_llm, auth="local",
                       share_questions_per_min=2) as (base, service):
        service.access.add_user("olga", "olga-password")
        service.access.grant("olga", "demo", "owner")
        service.create_space("secret")
        yield base, service


def _visit(base: str, token: str) -> httpx.Client:
    visitor = httpx.Client(base_url=base, timeout=60)
    entry = visitor.get(f"/s/{token}")
    assert entry.status_code == 303 and entry.headers["location"] == "/?space=demo"
    cookie = entry.headers["set-cookie"].lower()
    assert "qc_share=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    return visitor


def test_a_space_link_chats_only_with_its_space_at_a_limited_rate(shared):
    base, service = shared
    visitor = _visit(base, service.access.create_share(OWNER, "demo", ttl_s=600).token)
    assert visitor.post("/ask", json=QUESTION).json()["sources"]
    assert [s["name"] for s in visitor.get("/spaces").json()] == ["demo"]
    assert visitor.get("/spaces/demo/documents").status_code == 403
    assert visitor.get("/ui/original/demo/p1.txt").status_code == 403
    assert visitor.post("/ingest", data={"space_id": "demo"}, files=[("files", ("x.txt", b"x"))]).status_code == 403
    assert visitor.delete("/spaces/demo/documents/p1.txt").status_code == 403
    assert visitor.post("/spaces/demo/shares", json={}).status_code == 403
    assert visitor.post("/ask", json={**QUESTION, "space_id": "secret"}).status_code == 404
    assert visitor.post("/gradio_api/upload", files=[("files", ("x.txt", b"x"))]).status_code == 403
    chat = visitor.post("/v1/chat/completions", json={"model": "demo", "messages": [
        {"role": "user", "content": QUESTION["q"]}]})
    assert chat.status_code == 200
    limited = visitor.post("/ask", json=QUESTION)                  # the 3rd question within a minute
    assert limited.status_code == 429 and limited.json()["code"] == "rate_limited"
    over = visitor.post("/v1/chat/completions", json={"model": "demo", "messages": [
        {"role": "user", "content": QUESTION["q"]}]})
    assert over.status_code == 429 and over.json()["error"]["type"] == "rate_limit_error"


def test_a_revoked_or_expired_link_stops_working(shared):
    base, service = shared
    link = service.access.create_share(OWNER, "demo")
    visitor = _visit(base, link.token)
    assert visitor.get("/spaces").status_code == 200
    owner = httpx.Client(base_url=base, cookies={"qc_session": service.access.session_token("olga", 60)})
    listed = owner.get("/spaces/demo/shares").json()
    assert link.id in [s["id"] for s in listed] and owner.delete(f"/shares/{link.id}").status_code == 200
    assert visitor.get("/spaces").status_code == 401 and visitor.post("/ask", json=QUESTION).status_code == 401
    assert httpx.get(f"{base}/s/{link.token}").status_code == 404
    expired = service.access.create_share(OWNER, "demo", ttl_s=0.05)
    time.sleep(0.1)
    gone = httpx.get(f"{base}/s/{expired.token}", headers={"accept-language": "ru"})
    assert gone.status_code == 404 and "истекла или отозвана" in gone.text


def test_a_conversation_link_is_an_escaped_read_only_snapshot(shared):
    base, service = shared
    owner = httpx.Client(base_url=base, cookies={"qc_session": service.access.session_token("olga", 60)})
    made = owner.post("/shares/conversation", json={"space": "demo", "turns": [{
        "question": "Сколько уязвимостей?", "answer": "Три [1]. <script>alert(1)</script>",
        "sources": [{"n": 1, "file": "p1.txt", "page": 2, "score": 0.9, "text": "выявлено три <b>уязвимости</b>"}]}]})
    assert made.status_code == 201
    page = httpx.get(f"{base}/c/{made.json()['token']}")
    assert page.status_code == 200 and "Сколько уязвимостей?" in page.text and "p1.txt" in page.text
    assert "<script>alert" not in page.text and "&lt;script&gt;" in page.text and "<b>уязвимости" not in page.text
    assert "qc_share" not in page.headers.get("set-cookie", "") and page.headers["cache-control"] == "no-store"
    owner.delete(f"/shares/{made.json()['id']}")
    assert httpx.get(f"{base}/c/{made.json()['token']}").status_code == 404


@pytest.fixture(scope="module")
def open_app(tmp_path_factory, fault_llm):
    with app_over_stub(tmp_path_factory.mktemp("csrf"), fault_llm) as (base, service):     # AUTH=off
        yield base, service


def test_no_other_site_can_post_into_a_space(open_app):
    base, service = open_app
    upload = {"data": {"space_id": "demo"}, "files": [("files", ("planted.txt", "Подброшено".encode()))]}
    for headers in ({"origin": "http://evil.example"}, {"origin": "null"}, {"sec-fetch-site": "cross-site"}):
        refused = httpx.post(f"{base}/ingest", headers=headers, **upload)
        assert refused.status_code == 403 and refused.json()["code"] == "cross_site", headers
        assert httpx.post(f"{base}/gradio_api/upload", headers=headers, files=upload["files"]).status_code == 403
        assert httpx.delete(f"{base}/spaces/demo", headers=headers).status_code == 403
    assert "planted.txt" not in [d.name for d in service.documents("demo")]
    assert httpx.post(f"{base}/ingest", headers={"origin": base, "sec-fetch-site": "same-origin"},
                      **upload).status_code == 200
    assert httpx.post(f"{base}/ask", json=QUESTION).status_code == 200     # a program (no Origin) is not a site


def test_the_host_header_is_checked(open_app, tmp_path, fault_llm):
    base, _ = open_app
    rebound = httpx.get(f"{base}/spaces", headers={"host": "attacker.example"})
    assert rebound.status_code == 400 and rebound.json()["code"] == "host_not_allowed"
    assert httpx.get(f"{base}/spaces", headers={"host": "localhost:1234"}).status_code == 200
    with app_over_stub(tmp_path, fault_llm, with_protocol=False, allowed_hosts="chat.example.com") as (other, _):
        assert httpx.get(f"{other}/spaces", headers={"host": "chat.example.com:8443"}).status_code == 200
        assert httpx.get(f"{other}/spaces").status_code == 400           # 127.0.0.1 is not in the list


def test_a_deleted_document_leaves_no_copy_to_download(open_app):
    base, service = open_app
    service.ingest_files("gone", [("p4.txt", PROTOCOLS / "protocol_004_board_meeting.txt")])
    assert httpx.get(f"{base}/ui/original/gone/p4.txt").status_code == 200
    httpx.delete(f"{base}/spaces/gone/documents/p4.txt")
    assert httpx.get(f"{base}/ui/original/gone/p4.txt").status_code == 404
    httpx.delete(f"{base}/spaces/gone")
    assert httpx.get(f"{base}/ui/original/gone/p4.txt").status_code == 404
    assert httpx.get(f"{base}/spaces/gone/documents/p4.txt/original").status_code == 404
