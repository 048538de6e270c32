"""The answer stream under faults (a scripted endpoint injects them): every failure ends with an error event
and a localized note, the sources stay, and a space deleted mid-question ends the stream cleanly."""
import asyncio
import threading
import time

import pytest

from tests.support.fault_llm import MODEL
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
