"""/metrics on a real app server over a scripted LLM: the whole output parses with prometheus_client's parser,
and each family counts what happened (HTTP requests by route template, answers and their timings, tokens, LLM
requests and failures by endpoint, ingested files by status and reason, chunks, and the quality signals: answers
without citations, without sources, the top source's score). METRICS_LLM_UPSTREAM against vLLM: tests/rag/llm."""
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.fault_llm import Reply
from tests.support.paths import PROTOCOLS
from tests.support.services import app_over_stub

QUESTION = "Сколько критических уязвимостей выявил аудит?"


@pytest.fixture(scope="module")
def api(tmp_path_factory, fault_llm):
    with app_over_stub(tmp_path_factory.mktemp("metrics"), fault_llm, with_protocol=False) as (base, _):
        yield httpx.Client(base_url=base, timeout=60), fault_llm


def scrape(client: httpx.Client) -> dict[tuple[str, tuple], float]:
    resp = client.get("/metrics")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(resp.text) for s in family.samples}


def value(samples: dict, name: str, **labels) -> float:
    """The sum over the samples of `name` whose labels include `labels`."""
    return sum(v for (n, ls), v in samples.items() if n == name and set(labels.items()) <= set(ls))


def test_metrics_count_what_happened(api):
    client, stub = api
    files = [("files", ("p1.txt", (PROTOCOLS / "protocol_001_audit_committee_meeting.txt").read_bytes())),
             ("files", ("virus.exe", b"MZ\x90\x00\x03")), ("files", ("empty.txt", b""))]
    results = client.post("/ingest", data={"space_id": "demo"}, files=files).json()["results"]
    assert [r["reason_code"] for r in results] == ["", "unsupported", "empty"]
    client.post("/spaces", json={"name": "empty"})
    client.post("/ask", json={"q": QUESTION, "space_id": "demo"})                       # cited
    stub.script(Reply(["В загруженных документах ", "нет ответа на этот вопрос."]))   # the model's "not here"
    # cites nothing (the committee's words let it past the abstention gate, so the LLM is asked)
    client.post("/ask", json={"q": "Какая погода была на заседании комитета?", "space_id": "demo"})
    client.post("/ask", json={"q": QUESTION, "space_id": "empty"})                      # no sources
    stub.mode = "error500"
    try:
        client.post("/v1/chat/completions", json={"model": "demo", "messages": [{"role": "user",
                                                                                 "content": QUESTION}]})
    finally:
        stub.mode = "ok"
    client.get("/spaces/demo/documents")
    client.post("/spaces/demo/feedback", json={"rating": -1, "question": QUESTION, "answer": "Не знаю."})
    samples = scrape(client)

    assert value(samples, "quadrate_http_requests_total", route="/ask", method="POST", status="200") == 3
    assert value(samples, "quadrate_http_requests_total", route="/v1/chat/completions", status="503") == 1
    assert value(samples, "quadrate_http_requests_total", route="/spaces/{name}/documents") == 1  # the template
    assert value(samples, "quadrate_answers_total", outcome="ok") == 2
    assert value(samples, "quadrate_answers_total", outcome="empty_space") == 1
    assert value(samples, "quadrate_answers_total", outcome="llm_unavailable") == 1
    assert value(samples, "quadrate_answers_without_citations_total") == 1
    assert value(samples, "quadrate_answers_without_sources_total") == 1
    assert value(samples, "quadrate_top_source_score_count") == 3
    assert value(samples, "quadrate_answer_first_token_seconds_count") == 2
    assert value(samples, "quadrate_answer_seconds_count") == 4 and value(samples, "quadrate_answer_seconds_sum") > 0
    assert value(samples, "quadrate_retrieval_seconds_count") == 4
    assert value(samples, "quadrate_generated_tokens_total") == 6 + 2
    endpoint = stub.base_url
    assert value(samples, "quadrate_llm_requests_total", endpoint=endpoint, outcome="ok") >= 2
    assert value(samples, "quadrate_llm_requests_total", endpoint=endpoint, outcome="error") == 1
    assert value(samples, "quadrate_llm_in_flight", endpoint=endpoint) == 0
    assert value(samples, "quadrate_citations_checked_total") >= 1      # the cited answer's sentences
    assert value(samples, "quadrate_feedback_total", rating="down") == 1
    assert value(samples, "quadrate_feedback_total", rating="up") == 0
    assert value(samples, "quadrate_ingested_files_total", status="ok") == 1
    assert value(samples, "quadrate_ingested_files_total", status="failed", reason="unsupported") == 1
    assert value(samples, "quadrate_ingested_files_total", status="failed", reason="empty") == 1
    assert value(samples, "quadrate_chunks_written_total") == results[0]["chunks"] > 0
    assert value(samples, "quadrate_http_requests_total", route="/metrics") == 0  # counted once it has answered
    assert value(scrape(client), "quadrate_http_requests_total", route="/metrics") == 1
