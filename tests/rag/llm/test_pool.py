"""The LLM pool against real servers (llama.cpp) and, for faults, a scripted endpoint: an empty or unfinished
stream is an error, failover skips a bad endpoint, the model name is learnt when the endpoint comes up, health
tells busy from down, and no credential leaks."""
import asyncio
import logging

import pytest
from llama_index.core.llms import ChatMessage

from rag.llm.pool import LLMIncomplete, LLMPool, LLMUnavailable
from tests.support.fault_llm import MODEL
from tests.support.servers import free_port

QUESTION = [ChatMessage(role="user", content="Say hello in one short sentence.")]


async def collect(pool: LLMPool, messages=QUESTION) -> str:
    return "".join([delta async for delta in pool.astream_chat(messages)])


@pytest.fixture(scope="module")
def fault(fault_llm):
    return fault_llm


@pytest.mark.parametrize("mode", ["empty", "blank", "no_finish", "drop"])
def test_an_empty_or_unfinished_stream_is_an_error(fault, mode):
    fault.mode = mode
    pool = LLMPool([fault.base_url], MODEL)
    with pytest.raises(LLMIncomplete):
        asyncio.run(collect(pool))
    fault.mode = "ok"
    assert asyncio.run(collect(pool)).startswith("Аудит выявил")


def test_failover_skips_an_endpoint_that_answers_empty(fault, llama_server):
    fault.mode = "empty"
    pool = LLMPool([fault.base_url, llama_server.base_url], llama_server.alias, max_tokens=24)
    try:
        assert asyncio.run(collect(pool)).strip()
        assert pool.endpoints[0].failures == 1 and pool.endpoints[1].failures == 0
    finally:
        fault.mode = "ok"


@pytest.mark.integration  # starts its own llama.cpp server
def test_model_name_is_learnt_when_the_endpoint_comes_up():
    """The endpoint is down when the pool is built and LLM_MODEL is unset: the first call after it comes up
    asks it for its model instead of sending 'default' (which a real vLLM refuses) for ever."""
    from rag.llm.local_server import LocalLLMServer
    from tests.support.models import TEST_LLM

    port = free_port()
    pool = LLMPool([f"http://127.0.0.1:{port}/v1"], "", max_tokens=16)
    assert pool.model == ""
    with pytest.raises(LLMUnavailable):
        asyncio.run(collect(pool))
    with LocalLLMServer(TEST_LLM, cache_dir="/tmp/qc-test-models", port=port) as server:
        pool.endpoints[0].down_until = 0.0
        assert asyncio.run(collect(pool)).strip()
        assert pool.model == server.alias


def test_health_tells_busy_from_down(llama_server):
    """A remote endpoint that is generating does not answer /models in time (llama.cpp queues it behind the
    model lock): with an answer in flight that is 'busy', not 'down'. A dead port is down."""
    pool = LLMPool([llama_server.base_url], llama_server.alias, max_tokens=200, health_timeout=0.5)
    long = [ChatMessage(role="user", content="Write a long story about a cat, at least ten sentences.")]

    async def run():
        stream = pool.astream_chat(long)
        await stream.__anext__()                 # generating now
        report = (await pool.health())[0]
        async for _ in stream:
            pass
        return report

    report = asyncio.run(run())
    assert report["state"] == "busy" and report["ok"] and report["in_flight"] == 1
    idle = asyncio.run(pool.health())[0]
    assert idle["state"] == "ok" and idle["last_ok_s_ago"] is not None and idle["in_flight"] == 0
    dead = asyncio.run(LLMPool([f"http://127.0.0.1:{free_port()}/v1"], "m").health())[0]
    assert dead["state"] == "down" and not dead["ok"]


def test_credentials_in_the_url_never_leak(caplog):
    url = f"http://alice:s3cret-pw@127.0.0.1:{free_port()}/v1"
    pool = LLMPool([url], "", api_key="sk-secret-key-123")
    with caplog.at_level(logging.INFO):
        with pytest.raises(LLMUnavailable) as err:
            asyncio.run(collect(pool))
        report = asyncio.run(pool.health())
    shown = f"{err.value} {report} {caplog.text}"
    assert "s3cret-pw" not in shown and "alice" not in shown and "sk-secret-key-123" not in shown
    assert "***@127.0.0.1" in report[0]["url"]


def test_stopping_a_stream_stops_the_server_generating(llama_server):
    """Stop in the UI cancels the task reading the stream: the HTTP response must close, so llama.cpp (which
    queues requests, one at a time) stops at its next token instead of finishing the answer for nobody."""
    pool = LLMPool([llama_server.base_url], llama_server.alias, max_tokens=400)
    long = [ChatMessage(role="user", content="Write a very long story about a lighthouse keeper.")]
    before = llama_server.log_path.read_text(errors="replace").count("Disconnected from client")

    async def run():
        async def read():
            async for _ in pool.astream_chat(long):
                pass
        task = asyncio.create_task(read())
        while not pool.endpoints[0].last_token:
            await asyncio.sleep(0.02)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(1.0)

    asyncio.run(run())
    assert pool.endpoints[0].in_flight == 0
    log = llama_server.log_path.read_text(errors="replace")
    assert log.count("Disconnected from client") == before + 1, log[-1500:]


def test_llama_cpp_over_its_context_is_a_context_overflow_both_ways(llama_server):
    """llama-cpp-python's server refuses a whole reply over its context with a 400 and ends a stream without a
    byte: both are LLMContextOverflow (the answer path then retries once, shorter), and neither rests it."""
    from rag.errors import LLMContextOverflow

    pool = LLMPool([llama_server.base_url], llama_server.alias)
    too_long = [ChatMessage(role="user", content="слово " * 6000)]
    with pytest.raises(LLMContextOverflow, match="before any data"):
        asyncio.run(collect(pool, too_long))
    with pytest.raises(LLMContextOverflow, match="refused the request"):
        pool.chat(too_long)
    assert pool.endpoints[0].failures <= 1 and asyncio.run(collect(pool))
