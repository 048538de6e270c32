"""Concurrency over real HTTP, the app over a paced scripted LLM: 16 streamed questions while files are uploaded to
the same space and one of its documents is deleted; a space deleted while a question on it streams. In each case
there is no 500, every stream ends with its done event, and afterwards the document list, the stored chunks and
the answers' sources agree, with no half document. (Two uploads of one name at once: tests/rag/ingest/
test_ingest_probe.py.)"""
import json
import threading

import httpx
import pytest

from tests.support.fault_llm import ANSWER
from tests.support.paths import PROTOCOLS
from tests.support.services import app_over_stub

QUESTION = "Сколько критических уязвимостей выявил аудит?"


@pytest.fixture
def app(tmp_path, fault_llm):
    fault_llm.answer = ANSWER * 4                 # 24 deltas, 0.02 s apart: each answer streams for ~0.5 s
    fault_llm.replies.clear()
    with app_over_stub(tmp_path, fault_llm) as (base, service):
        service.ingest_files("demo", [("p2.txt", PROTOCOLS / "protocol_002_incident_response.txt")])
        yield base, service, fault_llm
    fault_llm.answer = list(ANSWER)


def stream_question(base: str, space: str, out: list) -> None:
    with httpx.stream("POST", f"{base}/ask", json={"q": QUESTION, "space_id": space, "stream": True},
                      timeout=300) as resp:
        events = [json.loads(line) for line in resp.iter_lines() if line] if resp.status_code == 200 else []
        out.append((resp.status_code, events))


def test_sixteen_streams_while_uploading_and_deleting_in_the_same_space(app):
    base, service, stub = app
    stub.mode = "slow"
    stub.delay_s = 0.3
    results: list = []
    askers = [threading.Thread(target=stream_question, args=(base, "demo", results)) for _ in range(16)]
    for thread in askers:
        thread.start()
    files = [("files", (p.name, p.read_bytes(), "text/plain")) for p in sorted(PROTOCOLS.glob("*.txt"))[2:5]]
    uploaded = httpx.post(f"{base}/ingest", data={"space_id": "demo"}, files=files, timeout=300)
    deleted = httpx.delete(f"{base}/spaces/demo/documents/p1.txt", timeout=60)
    for thread in askers:
        thread.join(timeout=300)
    stub.mode = "ok"
    assert uploaded.status_code == 200 and all(r["status"] == "ok" for r in uploaded.json()["results"])
    assert deleted.status_code == 200
    assert len(results) == 16 and all(status == 200 for status, _ in results), [s for s, _ in results]
    for _, events in results:
        assert events[0]["type"] == "sources" and events[-1]["type"] == "done"
        assert not events[-1]["error_code"], events[-1]
    listed = {d["name"] for d in httpx.get(f"{base}/spaces/demo/documents", timeout=30).json()}
    assert listed == {"p2.txt", *(name for _, (name, _, _) in files)}                       # p1 gone, uploads in
    assert {c["file_name"] for c in service.store.chunks("demo")} == listed                 # no half document
    after = httpx.post(f"{base}/ask", json={"q": QUESTION, "space_id": "demo"}, timeout=60).json()
    assert after["sources"] and {s["file"] for s in after["sources"]} <= listed


def test_a_space_deleted_while_a_question_streams(app):
    base, service, stub = app
    out: list = []
    asker = threading.Thread(target=stream_question, args=(base, "demo", out))
    asker.start()
    while not stub.active:                       # the answer is streaming
        asker.join(timeout=0.05)
    gone = httpx.delete(f"{base}/spaces/demo", timeout=60)
    asker.join(timeout=120)
    assert gone.status_code == 200
    (status, events), = out
    assert status == 200 and events[-1]["type"] == "done"          # the stream ended cleanly, not cut
    assert httpx.get(f"{base}/spaces/demo/documents", timeout=30).status_code == 404
    again = httpx.post(f"{base}/ask", json={"q": QUESTION, "space_id": "demo"}, timeout=60)
    assert again.status_code == 404 and again.json()["code"] == "space_not_found"
    assert "demo" not in {s.name for s in service.list_spaces()}
