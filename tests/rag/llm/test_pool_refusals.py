"""How the pool reads refusals (scripted endpoints, tests.support.fault_llm): a 429/503 with Retry-After keeps the
endpoint out of the next picks for that long; a request the endpoint refuses as a request (a 4xx) is neither
failed over nor counted against the endpoint; a prompt over the context (vLLM's and llama-cpp-python's 400, or
llama.cpp's stream without a byte) is LLMContextOverflow; the sync path reads them the same way."""
import email.utils
import time

import pytest
from llama_index.core.llms import ChatMessage

from rag.errors import LLMContextOverflow, LLMError, LLMUnavailable
from rag.llm.openai_stream import retry_after_s
from rag.llm.pool import LLMPool
from tests.rag.llm.test_pool_endpoints import FROM_A, FROM_B, collect, run
from tests.support.fault_llm import MODEL, Reply

OVERFLOW = ("This model's maximum context length is 4096 tokens. However, you requested 5120 tokens (4608 in the "
            "messages, 512 in the completion). Please reduce the length of the messages or completion.")


def test_retry_after_in_seconds_or_as_a_date():
    now = time.time()
    assert retry_after_s("7") == 7.0 and retry_after_s(" 0.5 ") == 0.5
    assert retry_after_s(email.utils.formatdate(now + 20, usegmt=True), now=now) == pytest.approx(20, abs=1)
    assert retry_after_s(email.utils.formatdate(now - 20, usegmt=True), now=now) == 0.0   # a date gone by
    assert retry_after_s("86400") == 300.0                                                 # capped
    assert retry_after_s(None) is None and retry_after_s("soon") is None


@pytest.mark.parametrize("status", [429, 503])
def test_an_endpoint_that_asks_to_wait_is_not_asked_again_before_its_time(two, status):
    a, _b = two
    a.script(Reply(status=status, message="busy", headers={"Retry-After": "30"}))
    pool = LLMPool([a.base_url], model=MODEL, timeout=10)
    ep = pool.endpoints[0]
    with pytest.raises(LLMError):
        run(pool, collect(pool))
    assert 25 < ep.retry_at - time.monotonic() <= 30
    with pytest.raises(LLMUnavailable, match="Retry-After"):    # answered at once, without a request
        run(pool, collect(pool))
    assert len(a.requests) == 1
    ep.retry_at = time.monotonic() - 1                           # its time has come: asked, and answers
    assert run(pool, collect(pool)) == "".join(FROM_A) and len(a.requests) == 2


def test_a_waiting_endpoint_is_skipped_even_when_every_other_one_rests(two):
    a, b = two
    a.script(Reply(status=429, headers={"Retry-After": "60"}))
    b.script(Reply(status=500))
    pool = LLMPool([a.base_url, b.base_url], model=MODEL, timeout=10)
    with pytest.raises(LLMError):
        run(pool, collect(pool))                                 # A asks to wait, B fails: both rest
    assert run(pool, collect(pool)) == "".join(FROM_B)           # B, resting, is still tried; A is not
    assert (len(a.requests), len(b.requests)) == (1, 2)


@pytest.mark.parametrize("reply,error", [
    (Reply(status=400, message=OVERFLOW, code="context_length_exceeded"), LLMContextOverflow),  # llama-cpp-python
    (Reply(status=400, message=OVERFLOW, code=400), LLMContextOverflow),                        # vLLM
    (Reply(status=400, message="the request exceeds the available context size"), LLMContextOverflow),  # llama.cpp
    (Reply(status=400, message="temperature must be at most 2"), LLMError),
    (Reply(status=404, message="model not found"), LLMError)])
def test_a_refused_request_is_not_failed_over_nor_held_against_the_endpoint(two, reply, error):
    a, b = two
    a.script(reply)
    pool = LLMPool([a.base_url, b.base_url], model=MODEL, timeout=10)
    with pytest.raises(error) as raised:
        run(pool, collect(pool))
    assert type(raised.value) is error and "refused the request" in str(raised.value)
    assert len(b.requests) == 0 and pool.endpoints[0].failures == 0 and pool.endpoints[0].in_flight == 0


def test_a_stream_without_a_byte_is_a_context_overflow(two):
    a, b = two
    a.script(Reply(no_data=True))
    b.script(Reply(no_data=True))
    pool = LLMPool([a.base_url, b.base_url], model=MODEL, timeout=10)
    with pytest.raises(LLMContextOverflow, match="before any data"):
        run(pool, collect(pool))


def test_the_sync_path_reads_refusals_the_same_way(two):
    a, b = two
    question = [ChatMessage(role="user", content="?")]
    a.script(Reply(status=400, message=OVERFLOW, code="context_length_exceeded"))
    pool = LLMPool([a.base_url, b.base_url], model=MODEL, timeout=10)
    pool.endpoints[1].in_flight = 1                              # so A is picked first
    with pytest.raises(LLMContextOverflow):
        pool.chat(question)
    assert (len(a.requests), len(b.requests)) == (1, 0)          # not failed over
    a.script(Reply(status=429, headers={"Retry-After": "40"}))
    b.script(Reply(status=429, headers={"Retry-After": "40"}))
    with pytest.raises(LLMUnavailable):
        pool.chat(question)
    assert all(30 < e.retry_at - time.monotonic() <= 40 for e in pool.endpoints)
    with pytest.raises(LLMUnavailable, match="Retry-After"):
        pool.chat(question)
    assert (len(a.requests), len(b.requests)) == (2, 1)
