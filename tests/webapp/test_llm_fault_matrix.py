"""Each LLM fault through every surface of the app (REST JSON, the NDJSON stream, the OpenAI route whole and
streamed, the Gradio chat), against a scripted endpoint (tests.support.fault_llm): the reader gets a clear message
in the question's language, the sources found stay, the app stays up, and the next question is answered once the
endpoint is well again, with no restart. The real llama.cpp server killed mid-run: tests/webapp/test_api_embedded.py;
the prompt retried shorter after an overflow: tests/rag/answer/test_chat_engine_faults.py."""
import json
import time

import httpx
import pytest
from gradio_client import Client

from tests.support.fault_llm import FaultLLM, Reply, serve_stub
from tests.support.servers import free_port
from tests.support.services import app_over_stub

RU, EN = "Сколько критических уязвимостей выявил аудит?", "How many critical vulnerabilities did the audit find?"
OVERFLOW = Reply(status=400, code="context_length_exceeded", message="This model's maximum context length is 4096 "
                                                                     "tokens. However, you requested 9000 tokens.")
NOTES = {  # what the reader is told, by fault, in each language
    "llm_unavailable": ("Языковая модель недоступна", "language model is unavailable"),
    "llm_incomplete": ("Модель не закончила ответ", "did not finish its answer"),
    "llm_error": ("Модель вернула ошибку", "returned an error"),
    "llm_context_overflow": ("не поместился в контекст модели", "did not fit the model's context")}
FAULTS = {  # name: (the replies the endpoint gives, the error code the reader gets)
    "hangs": ([Reply(delay_s=8)], "llm_unavailable"),               # past LLM_TIMEOUT_S (1.5 s here)
    "error500": ([Reply(status=500)], "llm_unavailable"),
    "rate_limited": ([Reply(status=429, headers={"Retry-After": "1"})], "llm_unavailable"),
    "malformed_sse": ([Reply(raw=["data: {not json\n\n"])], "llm_error"),
    "dies_mid_stream": ([Reply(drop_after=2)], "llm_incomplete"),
    "context_overflow": ([OVERFLOW, OVERFLOW], "llm_context_overflow"),
}


@pytest.fixture(scope="module")
def app(tmp_path_factory, fault_llm):
    with app_over_stub(tmp_path_factory.mktemp("fault-matrix"), fault_llm, llm_timeout_s=1.5) as (base, service):
        yield base, service


def ask_rest(base: str, question: str) -> tuple[str, list]:
    body = httpx.post(f"{base}/ask", json={"q": question, "space_id": "demo"}, timeout=60).json()
    return body["answer"], body["sources"]


def ask_ndjson(base: str, question: str) -> tuple[str, list]:
    with httpx.stream("POST", f"{base}/ask", json={"q": question, "space_id": "demo", "stream": True},
                      timeout=60) as resp:
        events = [json.loads(line) for line in resp.iter_lines() if line]
    assert events[-1]["type"] == "done"
    return events[-1]["answer"], events[0]["sources"]


def ask_openai(base: str, question: str, stream: bool = False) -> tuple[str, list]:
    body = {"model": "demo", "messages": [{"role": "user", "content": question}], "stream": stream}
    with httpx.stream("POST", f"{base}/v1/chat/completions", json=body, timeout=60) as resp:
        resp.read()
    if resp.headers["content-type"].startswith("application/json"):
        reply = resp.json()
        if "error" in reply:
            return reply["error"]["message"], reply["sources"]
        return reply["choices"][0]["message"]["content"], reply["sources"]
    data = [json.loads(line[5:]) for line in resp.text.splitlines()
            if line.startswith("data:") and "[DONE]" not in line]
    text = "".join(d["choices"][0]["delta"].get("content") or "" for d in data if d.get("choices"))
    if "error" in data[-1]:
        return f"{text} {data[-1]['error']['message']}", data[-1]["sources"]
    return text, next(d["sources"] for d in data if "sources" in d)


def ask_openai_stream(base: str, question: str) -> tuple[str, list]:
    return ask_openai(base, question, stream=True)


def ask_gradio(base: str, question: str) -> tuple[str, list]:
    history, _, stored = Client(f"{base}/", verbose=False).predict(question, [], "demo", 3, api_name="/chat")
    content = history[-1]["content"]
    text = content if isinstance(content, str) else " ".join(part.get("text", "") for part in content)
    return text, (stored or {}).get("items") or []


SURFACES = {"rest": ask_rest, "ndjson": ask_ndjson, "openai": ask_openai, "openai_stream": ask_openai_stream,
            "gradio": ask_gradio}


@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize("fault", FAULTS)
def test_a_fault_is_told_in_the_question_language_with_the_sources_then_the_next_answer_comes(app, fault_llm,
                                                                                               fault, surface):
    base, _ = app
    ask = SURFACES[surface]
    replies, code = FAULTS[fault]
    for lang, question in enumerate((RU, EN) if surface in ("rest", "gradio") else (RU,)):
        fault_llm.replies.clear()
        fault_llm.script(*replies[:lang], *replies)   # an English question is first translated: the fault twice
        text, sources = ask(base, question)
        assert NOTES[code][lang] in text, (fault, surface, text)
        assert sources, (fault, surface, "the sources found were not returned")
        if fault == "rate_limited":
            time.sleep(1.2)                    # the endpoint asked for a second's rest
    fault_llm.replies.clear()
    text, sources = ask(base, RU)
    assert "Аудит выявил" in text and sources, (fault, surface, text)
    assert httpx.get(f"{base}/health", timeout=10).status_code == 200


def test_retry_after_is_honoured_before_the_endpoint_is_asked_again(app, fault_llm):
    base, _ = app
    fault_llm.replies.clear()
    fault_llm.script(Reply(status=429, headers={"Retry-After": "3"}))
    before = len(fault_llm.requests)
    first, _ = ask_rest(base, RU)
    second, sources = ask_rest(base, RU)      # at once: not sent to the endpoint that asked to wait
    assert "недоступна" in first and "недоступна" in second and sources
    assert len(fault_llm.requests) == before + 1
    time.sleep(3.2)
    assert "Аудит выявил" in ask_rest(base, RU)[0] and len(fault_llm.requests) == before + 2


def test_an_llm_down_at_start_is_told_on_every_surface_and_answers_once_up(tmp_path):
    port = free_port()
    absent = FaultLLM()
    absent.base_url = f"http://127.0.0.1:{port}/v1"
    with app_over_stub(tmp_path, absent, llm_model="") as (base, _):
        for name, ask in SURFACES.items():
            text, sources = ask(base, RU)
            assert NOTES["llm_unavailable"][0] in text and sources, (name, text)
        assert httpx.get(f"{base}/health", timeout=10).json()["llm"]["state"] == "down"
        with serve_stub(port=port):
            time.sleep(2.1)                       # the endpoint's rest after its failures ends
            for name, ask in SURFACES.items():
                text, sources = ask(base, RU)
                assert "Аудит выявил" in text and sources, (name, text)
            assert httpx.get(f"{base}/health", timeout=10).status_code == 200
