"""The lean stream reader against the scripted endpoint: one chunk per token with its text, the usage chunk and the
finish reason come through, and an HTTP error or a non-JSON data line is an error."""
import asyncio

import pytest

from rag.llm.openai_stream import ChatStreams, EndpointRefused, StreamError
from tests.support.fault_llm import MODEL, Reply

BODY = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "stream": True}


def read(stub_url: str) -> list:
    async def run():
        return [chunk async for chunk in ChatStreams("k", 30).stream(stub_url, BODY)]
    return asyncio.run(run())


def test_each_token_its_chunk_then_the_finish_and_the_usage(fault_llm):
    fault_llm.script(Reply(["a ", "b ", "c ", "d"], gap_s=0.05, usage=(12, 4)))
    chunks = read(fault_llm.base_url)
    assert [c.delta for c in chunks if c.delta] == ["a ", "b ", "c ", "d"]
    assert [c.finish_reason for c in chunks if c.finish_reason] == ["stop"] and chunks[-1].usage == (12, 4)


def test_http_errors_and_bad_lines_are_errors(fault_llm):
    fault_llm.script(Reply(status=503))
    with pytest.raises(EndpointRefused) as refused:
        read(fault_llm.base_url)
    assert refused.value.status == 503 and refused.value.unavailable
    fault_llm.script(Reply(raw=["data: {not json\n\n"]))
    with pytest.raises(StreamError, match="not JSON"):
        read(fault_llm.base_url)
