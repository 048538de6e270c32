"""The OpenAI-compatible route on a real app server (real retrieval and store) over a scripted LLM endpoint: the
wire format chunk by chunk, the request options passed to the LLM, follow-ups, usage, sources, and every error in
OpenAI's shape with its status. The official `openai` client, sync and async, reads it."""
import asyncio
import json

import httpx
import openai
import pytest

from tests.support.fault_llm import Reply
from tests.support.services import app_over_stub

QUESTION = "Сколько критических уязвимостей выявил аудит?"


@pytest.fixture(scope="module")
def api(tmp_path_factory, fault_llm):
    with app_over_stub(tmp_path_factory.mktemp("openai"), fault_llm, max_question_chars=500) as (base, service):
        service.create_space("empty")
        yield httpx.Client(base_url=base, timeout=60), fault_llm


def ask(question: str = QUESTION, **extra) -> dict:
    return {"model": "demo", "messages": [{"role": "user", "content": question}], **extra}


def sse_data(resp: httpx.Response) -> list[str]:
    lines = [line for line in resp.iter_lines() if line]
    assert all(line.startswith("data: ") for line in lines), lines
    return [line[len("data: "):] for line in lines]


def test_models_are_the_spaces(api):
    client, _ = api
    models = client.get("/v1/models").json()
    assert models["object"] == "list"
    assert {m["id"] for m in models["data"]} >= {"demo", "empty"}
    assert all(m["object"] == "model" and isinstance(m["created"], int) for m in models["data"])
    assert client.get("/v1/models/demo").json()["id"] == "demo"
    missing = client.get("/v1/models/nope")
    assert missing.status_code == 404 and missing.json()["error"]["type"] == "not_found_error"


def test_a_completion_has_the_answer_usage_and_sources(api):
    client, _ = api
    body = client.post("/v1/chat/completions", json=ask()).json()
    assert body["object"] == "chat.completion" and body["model"] == "demo" and body["id"].startswith("chatcmpl-")
    choice = body["choices"][0]
    assert choice["message"] == {"role": "assistant", "content": "Аудит выявил 3 критические уязвимости [1]."}
    assert choice["finish_reason"] == "stop"
    usage = body["usage"]
    assert usage["completion_tokens"] == 6 and usage["prompt_tokens"] > 50   # estimated: the stub reports none
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert body["sources"][0]["file"] == "p1.txt" and body["cited"] == [1]


def test_usage_reported_by_the_llm_is_passed_on(api):
    client, stub = api
    stub.script(Reply(usage=(321, 6)))
    assert client.post("/v1/chat/completions", json=ask()).json()["usage"] == {
        "prompt_tokens": 321, "completion_tokens": 6, "total_tokens": 327}


def test_max_tokens_temperature_and_stop_reach_the_llm_and_length_is_reported(api):
    client, stub = api
    stub.script(Reply(finish="length"))
    body = client.post("/v1/chat/completions", json=ask(max_tokens=7, temperature=0.3, stop="\n\n")).json()
    sent = stub.requests[-1]
    assert sent["max_tokens"] == 7 and sent["temperature"] == 0.3 and sent["stop"] == ["\n\n"]
    assert body["choices"][0]["finish_reason"] == "length"
    client.post("/v1/chat/completions", json=ask(max_tokens=7, max_completion_tokens=9, stop=["END", "Q:"]))
    assert stub.requests[-1]["max_tokens"] == 9 and stub.requests[-1]["stop"] == ["END", "Q:"]


def test_the_whole_conversation_is_used_for_a_follow_up(api):
    client, stub = api
    messages = [{"role": "system", "content": "ignored: the app's instructions apply"},
                {"role": "user", "content": QUESTION},
                {"role": "assistant", "content": "Аудит выявил 3 критические уязвимости [1]."},
                {"role": "user", "content": [{"type": "text", "text": "А сколько из них устранено?"}]}]
    body = client.post("/v1/chat/completions", json={"model": "demo", "messages": messages}).json()
    assert body["choices"][0]["message"]["content"]
    sent = [m["content"] for m in stub.requests[-1]["messages"]]
    assert any("Аудит выявил 3 критические" in text for text in sent)
    assert "сколько из них устранено" in sent[-1] and not any("ignored" in text for text in sent)


def test_the_stream_follows_openais_chunk_format(api):
    client, _ = api
    with client.stream("POST", "/v1/chat/completions",
                       json=ask(stream=True, stream_options={"include_usage": True})) as resp:
        assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/event-stream")
        assert resp.headers["x-accel-buffering"] == "no"
        data = sse_data(resp)
    assert data[-1] == "[DONE]"
    chunks = [json.loads(d) for d in data[:-1]]
    assert len({c["id"] for c in chunks}) == 1 and all(c["object"] == "chat.completion.chunk" for c in chunks)
    first, *content, final, usage = chunks
    assert first["choices"][0]["delta"]["role"] == "assistant" and first["choices"][0]["delta"]["content"]
    assert all(set(c["choices"][0]["delta"]) == {"content"} and c["choices"][0]["finish_reason"] is None
               for c in content)
    text = "".join(c["choices"][0]["delta"]["content"] for c in [first, *content])
    assert text == "Аудит выявил 3 критические уязвимости [1]."
    assert final["choices"][0] == {"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}
    assert final["sources"][0]["file"] == "p1.txt" and final["cited"] == [1]
    assert usage["choices"] == [] and usage["usage"]["completion_tokens"] == 6


def test_a_space_without_documents_answers_so_in_the_stream(api):
    client, _ = api
    with client.stream("POST", "/v1/chat/completions", json={**ask(stream=True), "model": "empty"}) as resp:
        chunks = [json.loads(d) for d in sse_data(resp)[:-1]]
    assert resp.status_code == 200 and "документ" in chunks[0]["choices"][0]["delta"]["content"]
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop" and chunks[-1]["sources"] == []


@pytest.mark.parametrize("body,status,param", [
    ({"model": "demo", "messages": []}, 400, "messages"),
    ({"model": "demo", "messages": [{"role": "assistant", "content": "hi"}]}, 400, "messages"),
    ({"model": "demo", "messages": [{"role": "wizard", "content": "hi"}]}, 400, None),
    (ask(n=2), 400, "n"), (ask(stop=["a", "b", "c", "d", "e"]), 400, "stop"), (ask(temperature=5), 400, None),
    ({"messages": [{"role": "user", "content": "hi"}]}, 400, "model"),
    (ask("вопрос " * 200), 413, "messages"), (ask(model="nope"), 404, None)])
def test_errors_use_openais_shape(api, body, status, param):
    client, _ = api
    for stream in (False, True):
        resp = client.post("/v1/chat/completions", json={**body, "stream": stream})
        error = resp.json()["error"]
        assert resp.status_code == status, resp.text
        assert set(error) == {"message", "type", "param", "code"} and error["message"] and error["type"]
        if param:
            assert error["param"].startswith(param)


@pytest.mark.parametrize("mode,status,code,streams", [
    ("error500", 503, "llm_unavailable", (False, True)), ("empty", 502, "llm_incomplete", (False, True)),
    ("no_finish", 502, "llm_incomplete", (False,)), ("drop", 502, "llm_incomplete", (False,))])
def test_a_failed_answer_is_an_error_status(api, mode, status, code, streams):
    """Streaming, only a failure before the first token can still be a status (the others are below)."""
    client, stub = api
    stub.mode = mode
    try:
        for stream in streams:
            resp = client.post("/v1/chat/completions", json=ask(stream=stream))
            assert resp.status_code == status and resp.json()["error"]["code"] == code, resp.text
    finally:
        stub.mode = "ok"


@pytest.mark.parametrize("reply", [Reply(drop_after=3), Reply(finish=None)], ids=["drop", "no_finish"])
def test_a_stream_that_breaks_off_ends_with_an_error_the_client_raises(api, reply):
    client, stub = api
    base = str(client.base_url)
    stub.script(reply)
    with client.stream("POST", "/v1/chat/completions", json=ask(stream=True)) as resp:
        data = sse_data(resp)
    assert resp.status_code == 200 and json.loads(data[0])["choices"][0]["delta"]["content"] == "Аудит "
    assert data[-1] == "[DONE]" and json.loads(data[-2])["error"]["code"] == "llm_incomplete"
    stub.script(reply)
    sdk = openai.OpenAI(base_url=f"{base}/v1", api_key="none", max_retries=0)
    with pytest.raises(openai.APIError, match=r"broke off|finish reason"):
        for _ in sdk.chat.completions.create(model="demo", messages=ask()["messages"], stream=True):
            pass


def test_the_official_client_sync_and_async_streaming_and_not(api):
    client, _ = api
    base = f"{client.base_url}/v1"
    sdk = openai.OpenAI(base_url=base, api_key="none", max_retries=0)
    assert "demo" in [m.id for m in sdk.models.list()]
    done = sdk.chat.completions.create(model="demo", messages=ask()["messages"], max_tokens=50)
    assert done.choices[0].message.content.startswith("Аудит выявил") and done.usage.completion_tokens == 6
    assert done.model_extra["sources"][0]["file"] == "p1.txt"
    parts = [c.choices[0].delta.content or "" for c in
             sdk.chat.completions.create(model="demo", messages=ask()["messages"], stream=True) if c.choices]
    assert "".join(parts) == done.choices[0].message.content

    async def run():
        asdk = openai.AsyncOpenAI(base_url=base, api_key="none", max_retries=0)
        reply = await asdk.chat.completions.create(model="demo", messages=ask()["messages"])
        stream = await asdk.chat.completions.create(model="demo", messages=ask()["messages"], stream=True,
                                                    stream_options={"include_usage": True})
        chunks = [c async for c in stream]
        with pytest.raises(openai.NotFoundError):
            await asdk.chat.completions.create(model="nope", messages=ask()["messages"])
        return reply, chunks

    reply, chunks = asyncio.run(run())
    assert reply.choices[0].message.content == done.choices[0].message.content
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == reply.choices[0].message.content
    assert chunks[-1].usage.completion_tokens == 6
    assert chunks[-2].choices[0].finish_reason == "stop" and chunks[-2].model_extra["sources"]


def test_a_client_that_goes_away_stops_the_generation(api):
    """Closing the stream closes the request to the LLM at once (it stops generating), and the endpoint is free."""
    import time

    client, stub = api
    stub.script(Reply(["слово "] * 40, gap_s=0.25))
    with client.stream("POST", "/v1/chat/completions", json=ask(stream=True)) as resp:
        next(resp.iter_lines())         # the role chunk may come before the LLM's stream has started: wait for it
        deadline = time.monotonic() + 10
        while not stub.active and time.monotonic() < deadline:
            time.sleep(0.02)
        assert stub.active == 1
    deadline = time.monotonic() + 5
    while stub.active and time.monotonic() < deadline:
        time.sleep(0.05)
    assert stub.active == 0, "the LLM stream was left running after the client left"
    assert client.post("/v1/chat/completions", json=ask()).status_code == 200
