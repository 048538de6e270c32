"""One LLM endpoint as the pool sees it: its URL, the model it serves, its load and its failures; how its model
is learnt; and the imports its first request would otherwise make on the event loop."""
from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx
from llama_index.llms.openai_like import OpenAILike

from rag.errors import LLMUnavailable
from rag.text.redact import redact_url


@functools.cache
def preload_client_modules() -> None:
    """httpx's async transport imports its backend lazily on the first request: on the event loop, that stalls
    every other request. Import it at start, once per process."""
    import anyio._backends._asyncio  # noqa: F401  (the async transport's backend)
    import httpcore._async.http11  # noqa: F401


async def discover_model(base_url: str, api_key: str = "not-needed", timeout: float = 5.0) -> str:
    """The first model an endpoint lists at /models."""
    async with httpx.AsyncClient(timeout=timeout) as client:
        resp = await client.get(f"{base_url}/models", headers={"Authorization": f"Bearer {api_key}"})
    resp.raise_for_status()
    data = resp.json().get("data") or []
    if not data:
        raise LLMUnavailable(f"{redact_url(base_url)}/models lists no model")
    return str(data[0]["id"])


@dataclass
class Endpoint:
    base_url: str
    model: str                      # "" until the endpoint first lists its models
    llm: OpenAILike
    in_flight: int = 0
    failures: int = 0
    last_error: str = ""
    down_until: float = field(default=0.0)   # monotonic: resting after failures (picked last until then)
    retry_at: float = 0.0           # monotonic: not asked before this (the server's Retry-After)
    last_ok: float = 0.0            # wall time of the last complete reply
    last_token: float = 0.0         # monotonic time of the last streamed token

    @property
    def shown_url(self) -> str:
        return redact_url(self.base_url)


Probe = Callable[[Endpoint], Awaitable[dict]]
