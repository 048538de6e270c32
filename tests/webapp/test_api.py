"""The HTTP API on a real server."""
import json

import httpx

from tests.support.paths import PROTOCOLS


def test_health_reports_llm_store_and_embedder(app_server):
    report = httpx.get(f"{app_server}/health", timeout=30).json()
    assert report["status"] == "ok"
    assert report["llm"]["ok"] and report["store"]["ok"] and report["embedder"]["dim"] == 384


def test_spaces_ingest_documents_ask(app_server):
    client = httpx.Client(base_url=app_server, timeout=300)
    assert client.post("/spaces", json={"name": "api-space"}).status_code == 201
    assert "api-space" in [s["name"] for s in client.get("/spaces").json()]
    files = [("files", ("protocol_001.txt", (PROTOCOLS / "protocol_001_audit_committee_meeting.txt").read_bytes())),
             ("files", ("protocol_007.txt", (PROTOCOLS / "protocol_007_hr_committee.txt").read_bytes())),
             ("files", ("virus.exe", b"MZ\x90\x00\x03"))]
    results = client.post("/ingest", data={"space_id": "api-space"}, files=files).json()["results"]
    assert [r["status"] for r in results] == ["ok", "ok", "failed"]
    assert "unsupported" in results[2]["reason"]
    docs = client.get("/spaces/api-space/documents").json()
    assert sorted(d["name"] for d in docs) == ["protocol_001.txt", "protocol_007.txt"]

    reply = client.post("/ask", json={"q": "Сколько критических уязвимостей выявил аудит?", "space_id": "api-space",
                                      "top_k": 2}).json()
    assert reply["answer"] and len(reply["sources"]) == 2
    assert reply["sources"][0]["file"] == "protocol_001.txt"
    assert set(reply["sources"][0]) >= {"file", "page", "score", "text"}

    with client.stream("POST", "/ask", json={"q": "What is the staff turnover?", "space_id": "api-space",
                                             "stream": True}) as resp:
        events = [json.loads(line) for line in resp.iter_lines() if line]
    assert events[0]["type"] == "sources" and events[-1]["type"] == "done"
    assert sum(e["type"] == "token" for e in events) >= 2

    assert client.delete("/spaces/api-space/documents/protocol_007.txt").status_code == 200
    assert [d["name"] for d in client.get("/spaces/api-space/documents").json()] == ["protocol_001.txt"]
    assert client.delete("/spaces/api-space").status_code == 200


def test_bad_requests_get_clear_errors(app_server):
    client = httpx.Client(base_url=app_server, timeout=30)
    missing = client.post("/ask", json={"q": "hi", "space_id": "no-such-space"})
    assert missing.status_code == 404 and "no space" in missing.json()["detail"]
    assert client.post("/ask", json={"q": "", "space_id": "x"}).status_code == 422
    assert client.post("/spaces", json={"name": "a/b"}).status_code == 422
