"""Reading one OpenAI-compatible chat completion stream with httpx: the per-token path of every answer.

The openai client builds a pydantic object per chunk and LlamaIndex another on top of it: 0.38-0.41 ms of CPU
per token here, which saturated the event loop at ~2,000 tokens/s (bench.serve: /v1 throughput 0.48 of direct at
64 streams). This reader does one json.loads per chunk. Non-streaming calls and LlamaIndex users keep OpenAILike.

One httpx client per event loop (its connections belong to the loop that opened them), without a connection cap:
the LLM server decides how many streams it serves at once."""
from __future__ import annotations

import asyncio
import email.utils
import json
import re
import time
import weakref
from collections.abc import AsyncGenerator
from dataclasses import dataclass

import httpx


@dataclass(frozen=True)
class Chunk:
    delta: str = ""
    finish_reason: str | None = None
    usage: tuple[int, int] | None = None   # (prompt, completion) tokens, in the server's last chunk


# how OpenAI-compatible servers say the prompt is longer than the model's context: OpenAI, vLLM and llama-cpp-python
# ("This model's maximum context length is 4096 tokens ...", code context_length_exceeded), llama.cpp's own server
# ("the request exceeds the available context size")
_OVERFLOW = re.compile(r"context_length_exceeded|maximum context length|context (?:length|window|size)", re.I)
MAX_RETRY_AFTER_S = 300.0


def overflows(status: int, body: str) -> bool:
    """Whether an HTTP error says the prompt is longer than the model's context."""
    return status in (400, 413) and bool(_OVERFLOW.search(body))


def retry_after_s(value: str | None, now: float | None = None) -> float | None:
    """A Retry-After header (seconds, or an HTTP date) as seconds from now, at most MAX_RETRY_AFTER_S."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    return min(max(0.0, seconds), MAX_RETRY_AFTER_S)


class EndpointRefused(Exception):
    """The endpoint answered the request with an HTTP error instead of a stream."""

    def __init__(self, status: int, body: str, retry_after: float | None = None) -> None:
        super().__init__(f"HTTP {status}: {body[:300]}")
        self.status = status
        self.retry_after = retry_after   # seconds the server asked us to wait (Retry-After), if it did
        self.overflow = overflows(status, body)

    @property
    def unavailable(self) -> bool:
        """Overloaded or broken (5xx, 429), rather than refusing this request (another 4xx)."""
        return self.status >= 500 or self.status == 429


class StreamError(Exception):
    """The stream carried an error object, or a data line that is not JSON."""


def _chunk(data: dict) -> Chunk:
    if "error" in data and not data.get("choices"):
        error = data["error"]
        raise StreamError(str(error.get("message", error) if isinstance(error, dict) else error))
    usage = data.get("usage")
    counted = (int(usage.get("prompt_tokens") or 0), int(usage["completion_tokens"])) \
        if isinstance(usage, dict) and usage.get("completion_tokens") is not None else None
    choices = data.get("choices") or []
    if not choices:
        return Chunk(usage=counted)
    choice = choices[0]
    delta = choice.get("delta") or {}
    return Chunk(delta=delta.get("content") or "", finish_reason=choice.get("finish_reason"), usage=counted)


class ChatStreams:
    def __init__(self, api_key: str, timeout: float) -> None:
        self.headers = {"Authorization": f"Bearer {api_key}"}
        self.timeout = httpx.Timeout(timeout, connect=min(timeout, 10.0))
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = \
            weakref.WeakKeyDictionary()

    def _client(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            limits = httpx.Limits(max_connections=None, max_keepalive_connections=256)
            client = self._clients[loop] = httpx.AsyncClient(timeout=self.timeout, limits=limits,
                                                             headers=self.headers)
        return client

    async def stream(self, base_url: str, body: dict) -> AsyncGenerator[Chunk, None]:
        """The chunks of one streamed chat completion; closing the iterator closes the HTTP response, so the
        server stops generating at once."""
        async with self._client().stream("POST", f"{base_url}/chat/completions", json=body) as resp:
            if resp.status_code != 200:
                raise EndpointRefused(resp.status_code, (await resp.aread()).decode("utf-8", "replace"),
                                      retry_after_s(resp.headers.get("retry-after")))
            async for line in resp.aiter_lines():
                if not line.startswith("data:"):
                    continue   # blank lines, comments, event: and retry: fields
                payload = line[5:].strip()
                if payload == "[DONE]":
                    return
                try:
                    data = json.loads(payload)
                except json.JSONDecodeError as err:
                    raise StreamError(f"a data line that is not JSON: {payload[:80]!r}") from err
                yield _chunk(data)
