"""The REST routes for a space's documents beyond upload: the original file's download, renaming a space, rating
answers, and asking within chosen documents (/ask and the OpenAI route); each with its error codes."""
import json

import httpx
import pytest

from tests.support.paths import PROTOCOLS

AUDIT = PROTOCOLS / "protocol_001_audit_committee_meeting.txt"
HR = PROTOCOLS / "protocol_007_hr_committee.txt"


@pytest.fixture(scope="module")
def api(stub_app):
    base, service, _ = stub_app
    service.ingest_files("docs", [("folder/audit.txt", AUDIT), ("hr.txt", HR)])
    return httpx.Client(base_url=base, timeout=60)


def test_the_original_downloads_as_uploaded(api):
    resp = api.get("/spaces/docs/documents/folder/audit.txt/original")
    assert resp.status_code == 200 and resp.content == AUDIT.read_bytes()
    assert resp.headers["content-type"].startswith("text/plain")
    assert resp.headers["content-disposition"] == "attachment; filename*=UTF-8''audit.txt"
    assert resp.headers["x-content-type-options"] == "nosniff"
    missing = api.get("/spaces/docs/documents/nope.txt/original")
    assert missing.status_code == 404 and missing.json()["code"] == "document_not_found"
    assert api.get("/spaces/nope/documents/hr.txt/original").json()["code"] == "space_not_found"


def test_asking_within_chosen_documents(api):
    reply = api.post("/ask", json={"q": "Какие решения принял комитет?", "space_id": "docs", "top_k": 4,
                                   "files": ["hr.txt"]}).json()
    assert reply["sources"] and {s["file"] for s in reply["sources"]} == {"hr.txt"}
    with api.stream("POST", "/ask", json={"q": "Какие решения принял комитет?", "space_id": "docs",
                                          "stream": True, "files": ["folder/audit.txt"]}) as resp:
        first = json.loads(next(resp.iter_lines()))
    assert first["type"] == "sources" and {s["file"] for s in first["sources"]} == {"folder/audit.txt"}
    unknown = api.post("/ask", json={"q": "Что?", "space_id": "docs", "files": ["nope.txt"]})
    assert unknown.status_code == 404 and unknown.json()["code"] == "document_not_found"
    body = api.post("/v1/chat/completions", json={"model": "docs", "files": ["hr.txt"],
                                                  "messages": [{"role": "user", "content": "Какие решения?"}]})
    assert body.status_code == 200 and {s["file"] for s in body.json()["sources"]} == {"hr.txt"}


def test_feedback_is_kept_and_listed(api):
    sent = {"rating": -1, "question": "Кто председатель?", "answer": "Не знаю.", "comment": "есть в протоколе",
            "sources": [{"n": 1, "file": "hr.txt", "page": None, "cited": True}], "language": "ru"}
    created = api.post("/spaces/docs/feedback", json=sent)
    assert created.status_code == 201 and created.json()["id"] and created.json()["space"] == "docs"
    listed = api.get("/spaces/docs/feedback").json()
    assert [(f["rating"], f["comment"]) for f in listed] == [(-1, "есть в протоколе")]
    assert api.post("/spaces/docs/feedback", json={**sent, "rating": 5}).status_code == 422
    assert api.post("/spaces/nope/feedback", json=sent).status_code == 404


def test_renaming_a_space(api):
    assert api.post("/spaces", json={"name": "до"}).status_code == 201
    assert api.post("/spaces", json={"name": "занято"}).status_code == 201
    assert api.patch("/spaces/до", json={"name": "занято"}).status_code == 409
    assert api.patch("/spaces/до", json={"name": "a/b"}).status_code in (400, 422)
    assert api.patch("/spaces/нет", json={"name": "x"}).status_code == 404
    renamed = api.patch("/spaces/до", json={"name": "после"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "после"
    names = {s["name"] for s in api.get("/spaces").json()}
    assert "после" in names and "до" not in names
