"""One LLM code path: LlamaIndex `OpenAILike` against OpenAI-compatible chat endpoints (vLLM, Ollama /v1, the
embedded llama.cpp server, any other). Several base URLs are balanced least-outstanding-requests, with failover
to the next endpoint when one cannot be reached before the first token."""
from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import AsyncIterator

import httpx
import openai
from llama_index.core.llms import ChatMessage
from llama_index.llms.openai_like import OpenAILike

log = logging.getLogger(__name__)

_CONNECT_ERRORS = (openai.APIConnectionError, openai.APITimeoutError, openai.InternalServerError,
                   httpx.ConnectError, httpx.ConnectTimeout, ConnectionError)


class LLMUnavailable(RuntimeError):
    """No endpoint could answer; the message says which were tried and why."""


def discover_model(base_url: str, api_key: str = "not-needed", timeout: float = 5.0) -> str:
    """The first model an endpoint lists at /models."""
    resp = httpx.get(f"{base_url}/models", headers={"Authorization": f"Bearer {api_key}"}, timeout=timeout)
    resp.raise_for_status()
    data = resp.json().get("data") or []
    if not data:
        raise LLMUnavailable(f"{base_url}/models lists no model")
    return data[0]["id"]


@dataclass
class Endpoint:
    base_url: str
    model: str
    llm: OpenAILike
    in_flight: int = 0
    failures: int = 0
    last_error: str = ""
    down_until: float = field(default=0.0)


class LLMPool:
    def __init__(self, base_urls: list[str], model: str = "", api_key: str = "not-needed", timeout: float = 120.0,
                 max_tokens: int = 512, temperature: float = 0.1, context_window: int = 4096,
                 chars_per_token: float = 2.0) -> None:
        if not base_urls:
            raise ValueError("at least one LLM base URL is needed")
        self._lock = threading.Lock()
        self.context_window, self.max_tokens, self.chars_per_token = context_window, max_tokens, chars_per_token
        self.endpoints: list[Endpoint] = []
        for url in base_urls:
            name = model or self._discover_or_default(url, api_key)
            llm = OpenAILike(model=name, api_base=url, api_key=api_key, is_chat_model=True,
                             is_function_calling_model=False, context_window=context_window, max_tokens=max_tokens,
                             temperature=temperature, timeout=timeout, max_retries=0,
                             reuse_client=True)
            self.endpoints.append(Endpoint(base_url=url, model=name, llm=llm))
        self.api_key = api_key

    @staticmethod
    def _discover_or_default(url: str, api_key: str) -> str:
        try:
            return discover_model(url, api_key)
        except Exception as err:  # the endpoint may come up later; health will say so
            log.warning("could not list models at %s (%s); using model name 'default'", url, err)
            return "default"

    @property
    def model(self) -> str:
        return self.endpoints[0].model

    def _pick(self, exclude: set[int]) -> tuple[int, Endpoint] | None:
        now = time.monotonic()
        with self._lock:
            candidates = [(i, e) for i, e in enumerate(self.endpoints) if i not in exclude]
            if not candidates:
                return None
            healthy = [(i, e) for i, e in candidates if e.down_until <= now] or candidates
            index, endpoint = min(healthy, key=lambda ie: (ie[1].in_flight, ie[1].failures))
            endpoint.in_flight += 1
            return index, endpoint

    def _release(self, endpoint: Endpoint, error: str = "") -> None:
        with self._lock:
            endpoint.in_flight -= 1
            if error:
                endpoint.failures += 1
                endpoint.last_error = error
                endpoint.down_until = time.monotonic() + min(30.0, 2.0 * endpoint.failures)
            else:
                endpoint.failures = 0

    async def astream_chat(self, messages: list[ChatMessage], temperature: float | None = None) -> AsyncIterator[str]:
        """Stream answer text deltas; fail over to another endpoint if one fails before its first token.
        `temperature` overrides the configured one for this call."""
        options = {} if temperature is None else {"temperature": temperature}
        tried: set[int] = set()
        errors: list[str] = []
        while True:
            picked = self._pick(tried)
            if picked is None:
                raise LLMUnavailable("LLM unreachable: " + "; ".join(errors))
            index, endpoint = picked
            tried.add(index)
            started = False
            try:
                stream = await endpoint.llm.astream_chat(messages, **options)
                async for chunk in stream:
                    if chunk.delta:
                        started = True
                        yield chunk.delta
                self._release(endpoint)
                return
            except _CONNECT_ERRORS as err:
                self._release(endpoint, f"{type(err).__name__}: {err}")
                errors.append(f"{endpoint.base_url}: {type(err).__name__}: {err}")
                if started:
                    raise LLMUnavailable(f"LLM stream from {endpoint.base_url} broke off: {err}") from err
            except BaseException:
                self._release(endpoint)
                raise

    async def health(self, timeout: float = 3.0) -> list[dict]:
        async def check(endpoint: Endpoint) -> dict:
            started = time.perf_counter()
            try:
                async with httpx.AsyncClient(timeout=timeout) as client:
                    resp = await client.get(f"{endpoint.base_url}/models",
                                            headers={"Authorization": f"Bearer {self.api_key}"})
                    resp.raise_for_status()
                models = [m.get("id") for m in resp.json().get("data", [])]
                return {"url": endpoint.base_url, "ok": True, "model": endpoint.model, "models": models,
                        "latency_ms": round((time.perf_counter() - started) * 1000, 1),
                        "in_flight": endpoint.in_flight}
            except Exception as err:
                return {"url": endpoint.base_url, "ok": False, "model": endpoint.model,
                        "error": f"{type(err).__name__}: {err}", "in_flight": endpoint.in_flight}

        return list(await asyncio.gather(*(check(e) for e in self.endpoints)))
