"""Real clients against the app's OpenAI-compatible route, with the real llama.cpp server behind it: the official
`openai` client (sync and async, streaming and not) and LlamaIndex's OpenAILike, which a LlamaIndex user would
point at our app to get cited answers from a space."""
import asyncio

import httpx
import openai
import pytest
from llama_index.core.llms import ChatMessage
from llama_index.llms.openai_like import OpenAILike

from tests.support.paths import PROTOCOLS

QUESTION = "Сколько критических уязвимостей выявил аудит?"
MESSAGES = [{"role": "user", "content": QUESTION}]


@pytest.fixture(scope="module")
def v1(app_server):
    files = [("files", ("protocol_001.txt", (PROTOCOLS / "protocol_001_audit_committee_meeting.txt").read_bytes()))]
    httpx.post(f"{app_server}/ingest", data={"space_id": "clients"}, files=files, timeout=300).raise_for_status()
    return f"{app_server}/v1"


def test_the_openai_client_sync_streaming_and_not(v1):
    sdk = openai.OpenAI(base_url=v1, api_key="none", max_retries=0, timeout=300)
    assert "clients" in [m.id for m in sdk.models.list()]
    done = sdk.chat.completions.create(model="clients", messages=MESSAGES, max_tokens=40, temperature=0)
    assert done.choices[0].message.content.strip() and done.choices[0].finish_reason in ("stop", "length")
    assert 0 < done.usage.completion_tokens <= 40 + 3   # + the citation the app may add
    assert done.model_extra["sources"][0]["file"] == "protocol_001.txt"
    chunks = list(sdk.chat.completions.create(model="clients", messages=MESSAGES, max_tokens=40, stream=True,
                                              stream_options={"include_usage": True}))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert len([c for c in chunks if c.choices and c.choices[0].delta.content]) >= 3 and text.strip()
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-2].choices[0].finish_reason in ("stop", "length") and chunks[-2].model_extra["sources"]
    assert chunks[-1].usage.completion_tokens > 0


def test_the_openai_client_async_and_a_follow_up(v1):
    async def run():
        sdk = openai.AsyncOpenAI(base_url=v1, api_key="none", max_retries=0, timeout=300)
        first = await sdk.chat.completions.create(model="clients", messages=MESSAGES, max_tokens=40)
        follow_up = [*MESSAGES, {"role": "assistant", "content": first.choices[0].message.content},
                     {"role": "user", "content": "А кто вёл это заседание?"}]
        stream = await sdk.chat.completions.create(model="clients", messages=follow_up, max_tokens=40, stream=True)
        parts = [c.choices[0].delta.content or "" async for c in stream if c.choices]
        return first, "".join(parts)

    first, second = asyncio.run(run())
    assert first.choices[0].message.content.strip() and second.strip()


def test_llamaindex_openailike_pointed_at_the_app(v1):
    llm = OpenAILike(model="clients", api_base=v1, api_key="none", is_chat_model=True, max_tokens=40,
                     timeout=300, max_retries=0)
    reply = llm.chat([ChatMessage(role="user", content=QUESTION)])
    assert reply.message.content.strip() and reply.raw.model_extra["sources"][0]["file"] == "protocol_001.txt"
    deltas = [r.delta for r in llm.stream_chat([ChatMessage(role="user", content=QUESTION)]) if r.delta]
    assert len(deltas) >= 3 and "".join(deltas).strip()
    with pytest.raises(Exception, match=r"404|not found|no space"):
        OpenAILike(model="nope", api_base=v1, api_key="none", is_chat_model=True, max_retries=0).chat(
            [ChatMessage(role="user", content=QUESTION)])
