"""The answer stream under faults (a scripted endpoint injects them): every failure ends with an error event
and a localized note, the sources stay, and a space deleted mid-question ends the stream cleanly."""
import asyncio
import threading
import time

import pytest

from tests.support.fault_llm import MODEL, Reply
from tests.support.paths import PROTOCOLS


@pytest.fixture(scope="module")
def fault(fault_llm):
    return fault_llm


@pytest.fixture
def service(make_settings, fault):
    from rag import build_service

    svc = build_service(make_settings(llm_base_url=fault.base_url, llm_model=MODEL))
    svc.ingest_files("demo", [("p1.txt", PROTOCOLS / "protocol_001_audit_committee_meeting.txt")])
    yield svc
    svc.close()


def events_of(service, space, question):
    async def run():
        return [e async for e in service.astream(space, question)]
    return asyncio.run(run())


@pytest.mark.parametrize("mode,lang,note", [("empty", "ru", "Модель не закончила ответ"),
                                            ("no_finish", "en", "did not finish its answer"),
                                            ("drop", "ru", "Модель не закончила ответ"),
                                            ("error500", "en", "unavailable")])
def test_failed_answers_end_with_an_error_event_and_keep_sources(service, fault, mode, lang, note):
    fault.mode = mode
    question = "Сколько критических уязвимостей выявил аудит?" if lang == "ru" else "How many vulnerabilities?"
    events = events_of(service, "demo", question)
    fault.mode = "ok"
    kinds = [e.type for e in events]
    assert kinds[0] == "sources" and events[0].sources
    assert kinds[-2:] == ["error", "done"]
    error, answer = events[-2], events[-1].answer
    assert error.code == answer.error_code and answer.error_code.startswith("llm_")
    assert note in error.message and note in answer.answer
    assert answer.sources and answer.error


def test_space_deleted_while_the_question_is_translated(service, fault):
    """An English question over Russian documents is translated by the (slow) LLM first; the space is deleted
    meanwhile. The stream ends with a space_not_found error event, not an exception."""
    fault.mode, fault.delay_s = "slow", 2.0
    deleter = threading.Thread(target=lambda: (time.sleep(0.7), service.delete_space("demo")))
    deleter.start()
    try:
        events = events_of(service, "demo", "How many critical vulnerabilities did the audit find?")
    finally:
        deleter.join()
        fault.mode = "ok"
    assert [e.type for e in events] == ["token", "error", "done"]
    assert events[1].code == "space_not_found" and "no longer exists" in events[1].message
    assert events[-1].answer.error_code == "space_not_found"


OVERFLOW = Reply(status=400, code="context_length_exceeded",
                 message="This model's maximum context length is 4096 tokens. However, you requested 6000 tokens.")


def test_a_prompt_over_the_context_is_retried_once_shorter(service, fault):
    fault.script(OVERFLOW)
    sent = len(fault.requests)
    events = events_of(service, "demo", "Сколько критических уязвимостей выявил аудит?")
    first, second = fault.requests[sent:]
    assert len(second["messages"][-1]["content"]) < len(first["messages"][-1]["content"])
    answer = events[-1].answer
    assert not answer.error_code and answer.answer.startswith("Аудит выявил") and answer.sources


@pytest.mark.parametrize("lang,note", [("ru", "не поместился в контекст"), ("en", "did not fit the model's context")])
def test_a_prompt_still_over_the_context_says_so_in_the_question_language(service, fault, lang, note):
    fault.script(OVERFLOW, OVERFLOW, OVERFLOW)
    question = "Сколько уязвимостей выявил аудит?" if lang == "ru" else "How many vulnerabilities did the audit find?"
    events = events_of(service, "demo", question)
    fault.replies.clear()
    answer = events[-1].answer
    assert answer.error_code == "llm_context_overflow" and note in answer.answer and answer.sources


def test_a_hanging_llm_times_out_by_the_setting(make_settings, fault):
    from rag import build_service

    svc = build_service(make_settings(llm_base_url=fault.base_url, llm_model=MODEL, llm_timeout_s=1.0))
    try:
        svc.ingest_files("demo", [("p1.txt", PROTOCOLS / "protocol_001_audit_committee_meeting.txt")])
        fault.script(Reply(delay_s=30))
        started = time.monotonic()
        events = events_of(svc, "demo", "Сколько уязвимостей выявил аудит?")
        waited = time.monotonic() - started
        answer = events[-1].answer
        assert answer.error_code == "llm_unavailable" and "Timeout" in answer.error and answer.sources
        assert "недоступна" in answer.answer and waited < 20     # not the 30 s the endpoint hangs
        assert events_of(svc, "demo", "Сколько уязвимостей выявил аудит?")[-1].answer.answer.startswith("Аудит")
    finally:
        svc.close()


def test_an_llm_down_at_start_answers_once_it_is_up_without_a_restart(make_settings):
    from rag import build_service
    from tests.support.fault_llm import serve_stub
    from tests.support.servers import free_port

    port = free_port()
    svc = build_service(make_settings(llm_base_url=f"http://127.0.0.1:{port}/v1", llm_model=""))
    try:
        svc.ingest_files("demo", [("p1.txt", PROTOCOLS / "protocol_001_audit_committee_meeting.txt")])
        down = events_of(svc, "demo", "How many vulnerabilities did the audit find?")[-1].answer
        assert down.error_code == "llm_unavailable" and "unavailable" in down.answer and down.sources
        with serve_stub(port=port):
            up = events_of(svc, "demo", "Сколько уязвимостей выявил аудит?")[-1].answer
        assert not up.error_code and up.answer.startswith("Аудит выявил")
    finally:
        svc.close()
