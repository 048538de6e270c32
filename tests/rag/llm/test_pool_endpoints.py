"""LLMPool over two and three scripted OpenAI-compatible endpoints in-process (tests.support.fault_llm): streams
are spread by least in-flight requests, an endpoint that fails before its first token is failed over and rests
(down_until), a stream that breaks off midway is an error and is not replayed elsewhere, and a rested endpoint is
picked again and recovers."""
import asyncio
import logging
import time

import pytest
from llama_index.core.llms import ChatMessage

from rag.llm.pool import LLMIncomplete, LLMPool
from rag.text.redact import redact_url
from tests.support.fault_llm import ANSWER, ENDPOINT_ANSWERS, MODEL, Reply
from tests.support.servers import free_port

QUESTION = [ChatMessage(role="user", content="Сколько уязвимостей выявил аудит?")]
FROM_A, FROM_B, FROM_C = ENDPOINT_ANSWERS


async def collect(pool: LLMPool, served: dict | None = None) -> str:
    return "".join([delta async for delta in pool.astream_chat(QUESTION, served=served)])


def run(pool: LLMPool, coro):
    """Run `coro` in a fresh event loop and close the endpoints' HTTP clients in it (else each is closed when it is
    garbage-collected, later, against a loop that is gone: 'Task exception was never retrieved' in the log)."""
    async def main():
        try:
            return await coro
        finally:
            for endpoint in pool.endpoints:
                client = getattr(endpoint.llm, "_aclient", None)
                if client is not None:
                    await client.close()
    return asyncio.run(main())


async def until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the pool"
        await asyncio.sleep(0.01)


def with_credentials(url: str) -> str:
    return url.replace("http://", "http://alice:s3cret-pw@", 1)


def test_concurrent_streams_are_spread_evenly(three):
    for stub in three:
        stub.mode, stub.delay_s = "slow", 1.0   # every stream stays open until all six have been sent
    pool = LLMPool([s.base_url for s in three], model=MODEL, timeout=30)

    async def main():
        tasks = [asyncio.create_task(collect(pool)) for _ in range(6)]
        await until(lambda: sum(e.in_flight for e in pool.endpoints) == 6)
        in_flight = [e.in_flight for e in pool.endpoints]
        return in_flight, await asyncio.gather(*tasks)

    in_flight, answers = run(pool, main())
    assert in_flight == [2, 2, 2]
    assert sorted(answers) == sorted(["".join(FROM_A)] * 2 + ["".join(FROM_B)] * 2 + ["".join(FROM_C)] * 2)
    assert [len(s.requests) for s in three] == [2, 2, 2]
    assert [s.peak_active for s in three] == [2, 2, 2]
    assert [(e.in_flight, e.failures) for e in pool.endpoints] == [(0, 0)] * 3


def test_new_streams_go_to_the_endpoint_with_fewer_in_flight(two):
    """A has one long stream open, B none: of three new streams B gets two and A one (least in-flight), so both
    end with two open; a plain round robin would give A two of them."""
    a, b = two
    for stub in two:
        stub.mode, stub.delay_s = "slow", 1.0
    a.script(Reply(FROM_A, delay_s=2.5))   # the first stream stays open
    b.script(Reply(FROM_B))                # the second one ends at once
    pool = LLMPool([a.base_url, b.base_url], model=MODEL, timeout=30)

    async def main():
        first = asyncio.create_task(collect(pool))
        second = asyncio.create_task(collect(pool))
        assert await second == "".join(FROM_B)
        assert [e.in_flight for e in pool.endpoints] == [1, 0]
        more = [asyncio.create_task(collect(pool)) for _ in range(3)]
        await until(lambda: sum(e.in_flight for e in pool.endpoints) == 4)
        in_flight = [e.in_flight for e in pool.endpoints]
        await asyncio.gather(first, *more)
        return in_flight

    assert run(pool, main()) == [2, 2]
    assert (len(a.requests), len(b.requests)) == (2, 3)
    assert (a.peak_active, b.peak_active) == (2, 2)


@pytest.mark.parametrize("fault", [
    "http500",
    "http503",
    "refused",
    "malformed_sse",
])
def test_failover_before_the_first_token(two, fault, caplog):
    a, b = two
    a_url = with_credentials(f"http://127.0.0.1:{free_port()}/v1" if fault == "refused" else a.base_url)
    if fault.startswith("http"):
        a.script(Reply(status=int(fault[4:])))
    elif fault == "malformed_sse":
        a.script(Reply(raw=["data: {not json\n\n"]))
    pool = LLMPool([a_url, b.base_url], model=MODEL, timeout=10)
    served: dict = {}
    before = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="rag.llm.pool"):
        answer = run(pool, collect(pool, served))

    assert answer == "".join(FROM_B) and served["endpoint"] == b.base_url
    assert len(b.requests) == 1 and len(a.requests) == (0 if fault == "refused" else 1)
    down, up = pool.endpoints
    assert down.failures == 1 and down.down_until > before and down.down_until > time.monotonic()
    assert down.last_error and down.in_flight == 0
    assert up.failures == 0 and up.last_ok and up.in_flight == 0
    shown = redact_url(a_url)
    assert shown.startswith("http://***@127.0.0.1:")
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(shown in line and "failing over" in line for line in warnings), warnings
    assert "s3cret-pw" not in caplog.text and "alice" not in caplog.text


def test_failover_walks_past_every_bad_endpoint(three, caplog):
    a, b, c = three
    a.script(Reply(status=500))
    refused = f"http://127.0.0.1:{free_port()}/v1"
    pool = LLMPool([a.base_url, refused, c.base_url], model=MODEL, timeout=10)
    with caplog.at_level(logging.WARNING, logger="rag.llm.pool"):
        assert run(pool, collect(pool)) == "".join(FROM_C)
    assert [e.failures for e in pool.endpoints] == [1, 1, 0]
    assert all(e.down_until > time.monotonic() for e in pool.endpoints[:2])
    warnings = caplog.text
    assert a.base_url in warnings and refused in warnings
    assert (len(a.requests), len(b.requests), len(c.requests)) == (1, 0, 1)


def test_garbage_lines_and_comments_in_the_stream_are_ignored(two):
    """SSE lines that are not fields, and comments, are skipped by the client (the SSE rules): no failover."""
    a, b = two
    a.script(Reply(FROM_A, raw=["garbage without a colon\n\n", ": a comment\n\n", "retry: soon\n\n"]))
    pool = LLMPool([a.base_url, b.base_url], model=MODEL, timeout=10)
    assert run(pool, collect(pool)) == "".join(FROM_A)
    assert (len(a.requests), len(b.requests)) == (1, 0)
    assert [e.failures for e in pool.endpoints] == [0, 0]


def test_a_stream_that_breaks_off_is_an_error_not_a_silent_failover(two):
    a, b = two
    a.script(Reply(list(ANSWER), drop_after=2))
    pool = LLMPool([a.base_url, b.base_url], model=MODEL, timeout=10)
    got: list[str] = []

    async def main():
        async for delta in pool.astream_chat(QUESTION):
            got.append(delta)

    with pytest.raises(LLMIncomplete) as err:
        run(pool, main())
    assert got == ANSWER[:2]                   # what A sent, once; nothing from B appended or replayed
    assert len(b.requests) == 0
    assert "broke off" in str(err.value) and a.base_url in str(err.value)
    down, up = pool.endpoints
    assert down.failures == 1 and down.down_until > time.monotonic() and down.in_flight == 0
    assert up.failures == 0 and up.in_flight == 0


def test_an_endpoint_rests_while_down_then_is_picked_again(two):
    a, b = two
    a.script(Reply(status=500))                 # one failure, then A answers again
    b.mode, b.delay_s = "slow", 2.0
    b.script(Reply(FROM_B))                     # B's first answer is quick, the ones after it slow
    pool = LLMPool([a.base_url, b.base_url], model=MODEL, timeout=30)
    ep_a, ep_b = pool.endpoints

    async def main():
        assert await collect(pool) == "".join(FROM_B)       # A failed before its first token
        assert ep_a.failures == 1 and ep_a.down_until > time.monotonic()
        ep_a.down_until = max(ep_a.down_until, time.monotonic() + 60)   # so a slow machine cannot end the rest
        # B is busy, A idle but down: the next stream still goes to B
        held = [asyncio.create_task(collect(pool))]
        await until(lambda: ep_b.in_flight == 1)
        held.append(asyncio.create_task(collect(pool)))
        await until(lambda: ep_b.in_flight == 2)
        assert ep_a.in_flight == 0 and len(a.requests) == 1
        # the rest is over: A, the least busy, is picked again, answers, and its failures are forgotten
        ep_a.down_until = time.monotonic() - 1
        assert await collect(pool) == "".join(FROM_A)
        assert ep_b.in_flight == 2                           # B's streams were still open
        assert await asyncio.gather(*held) == ["".join(FROM_B)] * 2

    run(pool, main())
    assert (len(a.requests), len(b.requests)) == (2, 3)
    assert ep_a.failures == 0 and ep_a.last_ok and ep_a.last_error
    assert [e.in_flight for e in pool.endpoints] == [0, 0]
