"""One LLM code path against OpenAI-compatible chat endpoints (vLLM, Ollama /v1, the embedded llama.cpp server, any
other): answers stream through a lean httpx reader (rag/llm/openai_stream.py), whole replies for sync callers
through LlamaIndex `OpenAILike`. Several base URLs are balanced least-outstanding-requests, with failover to the
next endpoint when one cannot be reached, or gives nothing, before the first token.

A reply is only a reply when it has text and ends with a finish reason: a stream that ends empty, or stops
without `finish_reason` (a server that dropped it, or llama.cpp interrupting one request for another), raises
`LLMIncomplete`, never passes as an empty answer."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import AsyncGenerator, AsyncIterator, Iterator

import httpx
from llama_index.core.base.llms.types import ChatResponse
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.events.llm import LLMChatEndEvent, LLMChatStartEvent
from llama_index.core.llms import ChatMessage
from llama_index.llms.openai_like import OpenAILike

from rag.errors import LLMContextOverflow, LLMError, LLMIncomplete, LLMUnavailable
from rag.llm.endpoint import Endpoint, Probe, discover_model, preload_client_modules
from rag.llm.failures import (
    FAILOVER_ERRORS,
    NO_DATA,
    error_kind,
    finish_reason,
    no_answer,
    refusal,
    retry_after,
)
from rag.llm.openai_stream import ChatStreams, Chunk
from rag.telemetry import Telemetry
from rag.text.redact import redact_text

log = logging.getLogger(__name__)
dispatcher = get_dispatcher(__name__)   # LlamaIndex's instrumentation sees each streamed LLM call, start and end

class LLMPool:
    def __init__(self, base_urls: list[str], model: str = "", api_key: str = "not-needed", timeout: float = 120.0,
                 max_tokens: int = 512, temperature: float = 0.1, context_window: int = 4096,
                 chars_per_token: float = 2.0, health_timeout: float = 10.0,
                 telemetry: Telemetry | None = None) -> None:
        if not base_urls:
            raise ValueError("at least one LLM base URL is needed")
        preload_client_modules()
        self._lock = threading.Lock()
        self.context_window, self.max_tokens, self.chars_per_token = context_window, max_tokens, chars_per_token
        self.health_timeout, self.temperature = health_timeout, temperature
        self.telemetry = telemetry or Telemetry()
        self.api_key = api_key
        self.streams = ChatStreams(api_key, timeout)
        self.endpoints: list[Endpoint] = []
        for url in base_urls:
            # max_tokens goes with each call: set here, OpenAILike would override the one a call asks for
            llm = OpenAILike(model=model or "default", api_base=url, api_key=api_key, is_chat_model=True,
                             is_function_calling_model=False, context_window=context_window, max_tokens=None,
                             temperature=temperature, timeout=timeout, max_retries=0, reuse_client=True)
            self.endpoints.append(Endpoint(base_url=url, model=model, llm=llm))
        for endpoint in self.endpoints:
            if not endpoint.model:
                self._discover_now(endpoint)

    def _discover_now(self, endpoint: Endpoint) -> None:
        """At start, ask an endpoint that is up for its model; one that is down is asked when it first answers."""
        try:
            resp = httpx.get(f"{endpoint.base_url}/models", headers={"Authorization": f"Bearer {self.api_key}"},
                             timeout=5.0)
            resp.raise_for_status()
            endpoint.model = endpoint.llm.model = str(resp.json()["data"][0]["id"])
        except Exception as err:
            log.warning("LLM endpoint %s did not list its models at start (%s); asking again when it answers",
                        endpoint.shown_url, redact_text(f"{type(err).__name__}: {err}"))

    @property
    def model(self) -> str:
        return next((e.model for e in self.endpoints if e.model), "")

    def _pick(self, exclude: set[int]) -> tuple[int, Endpoint] | None:
        """The least busy endpoint not tried yet, resting ones last; one that asked us to wait (Retry-After) is
        not asked again before its time."""
        now = time.monotonic()
        with self._lock:
            candidates = [(i, e) for i, e in enumerate(self.endpoints) if i not in exclude and e.retry_at <= now]
            if not candidates:
                return None
            healthy = [(i, e) for i, e in candidates if e.down_until <= now] or candidates
            index, endpoint = min(healthy, key=lambda ie: (ie[1].in_flight, ie[1].failures))
            endpoint.in_flight += 1
            self.telemetry.llm_load(endpoint.shown_url, endpoint.in_flight)
            return index, endpoint

    def _release(self, endpoint: Endpoint, error: str = "", outcome: str = "", wait_s: float | None = None) -> None:
        """Hand an endpoint back; `outcome` (ok, error, cancelled) defaults to what `error` says. A failed one
        rests a while (2 s per failure in a row, at most 30 s), or as long as it asked (`wait_s`, Retry-After)."""
        self.telemetry.llm_request(endpoint.shown_url, outcome or ("error" if error else "ok"))
        with self._lock:
            endpoint.in_flight -= 1
            self.telemetry.llm_load(endpoint.shown_url, endpoint.in_flight)
            if error:
                endpoint.failures += 1
                endpoint.last_error = error
                endpoint.down_until = time.monotonic() + min(30.0, 2.0 * endpoint.failures)
                if wait_s is not None:
                    endpoint.retry_at = endpoint.down_until = time.monotonic() + wait_s
            else:
                endpoint.failures = 0
                endpoint.last_ok = time.time()

    async def _ensure_model(self, endpoint: Endpoint) -> None:
        """Learn the model name when the endpoint first answers (it may have been down when the app started)."""
        if endpoint.model:
            return
        name = await discover_model(endpoint.base_url, self.api_key)
        endpoint.model = endpoint.llm.model = name
        log.info("LLM endpoint %s serves model %s", endpoint.shown_url, name)

    async def astream_chat(self, messages: list[ChatMessage], temperature: float | None = None,
                           served: dict | None = None, max_tokens: int | None = None,
                           stop: list[str] | None = None) -> AsyncIterator[str]:
        """Stream answer text deltas; fail over to another endpoint if one fails before its first token.
        `temperature`, `max_tokens` and `stop` override the configured ones for this call. `served`, when given,
        gets the (redacted) URL of the endpoint that answered under "endpoint", the "finish_reason", the number
        of content "chunks" and, when the server reports it, its "usage" (prompt and completion tokens). Raises
        an `LLMError` unless the reply has text and a finish reason."""
        # servers that can (vLLM, Ollama) report the tokens in a last chunk; llama.cpp ignores the option
        body: dict = {"messages": [{"role": m.role.value, "content": m.content or ""} for m in messages],
                      "stream": True, "stream_options": {"include_usage": True},
                      "max_tokens": max_tokens or self.max_tokens,
                      "temperature": self.temperature if temperature is None else temperature}
        if stop:
            body["stop"] = list(stop)
        served = {} if served is None else served
        dispatcher.event(LLMChatStartEvent(messages=messages, model_dict={"model": self.model},
                                           additional_kwargs={k: v for k, v in body.items() if k != "messages"}))
        parts: list[str] = []
        try:
            async with contextlib.aclosing(self._stream(body, served)) as deltas:
                async for delta in deltas:   # closed at once when the reader stops: the server stops too
                    parts.append(delta)
                    yield delta
        except BaseException:
            dispatcher.event(LLMChatEndEvent(messages=messages, response=None))
            raise
        dispatcher.event(LLMChatEndEvent(messages=messages, response=ChatResponse(
            message=ChatMessage(role="assistant", content="".join(parts)),
            raw={"finish_reason": served.get("finish_reason"), "usage": served.get("usage")})))

    async def _stream(self, body: dict, served: dict) -> AsyncGenerator[str, None]:
        tried: set[int] = set()
        errors: list[tuple[type[LLMError], str]] = []
        for endpoint in self._candidates(tried, errors):
            served["endpoint"] = endpoint.shown_url
            started, has_text, finish, chunks, deltas = False, False, None, 0, 0
            stream: AsyncGenerator[Chunk, None] | None = None
            try:
                await self._ensure_model(endpoint)
                stream = self.streams.stream(endpoint.base_url, {"model": endpoint.model, **body})
                async for chunk in stream:
                    chunks += 1
                    finish = chunk.finish_reason or finish
                    if chunk.usage is not None:
                        served["usage"] = chunk.usage
                    if chunk.delta:
                        started, has_text = True, has_text or bool(chunk.delta.strip())
                        deltas += 1
                        served["chunks"] = deltas
                        endpoint.last_token = time.monotonic()
                        yield chunk.delta
                served["finish_reason"] = finish
                if not chunks:
                    raise LLMContextOverflow(NO_DATA)
                if not has_text or finish is None:
                    what = "an empty reply" if not has_text else "a reply that stopped without a finish reason"
                    raise LLMIncomplete(f"{what} (incomplete)")
                self._release(endpoint)
                return
            except FAILOVER_ERRORS as err:
                if (refused := refusal(err)) is not None:
                    self._release(endpoint, outcome="error")
                    log.warning("LLM endpoint %s refused the request: %s", endpoint.shown_url, refused)
                    raise refused from err
                reason = self._failed(endpoint, err, errors, len(tried) < len(self.endpoints) and not started)
                if started:
                    raise LLMIncomplete(f"the answer from {endpoint.shown_url} broke off: {reason}") from err
            except (GeneratorExit, asyncio.CancelledError):
                self._release(endpoint, outcome="cancelled")   # the reader stopped (Stop, a closed page)
                raise
            except BaseException as err:
                reason = redact_text(f"{type(err).__name__}: {err}")
                self._release(endpoint, reason)
                log.warning("LLM endpoint %s failed unexpectedly: %s", endpoint.shown_url, reason)
                raise
            finally:
                if stream is not None:  # closes the HTTP response, so the server stops generating at once
                    await stream.aclose()
        raise no_answer(errors)

    def _candidates(self, tried: set[int], errors: list) -> Iterator[Endpoint]:
        """Endpoints to try in turn, least busy first, each taken (in flight) when handed out. Those waiting out a
        Retry-After are skipped and noted in `errors`."""
        now = time.monotonic()
        for endpoint in self.endpoints:
            if endpoint.retry_at > now:
                errors.append((LLMUnavailable, f"{endpoint.shown_url}: asked to wait {endpoint.retry_at - now:.0f} s "
                                               f"more (Retry-After) after: {endpoint.last_error}"))
        while (picked := self._pick(tried)) is not None:
            tried.add(picked[0])
            yield picked[1]

    def _failed(self, endpoint: Endpoint, err: BaseException, errors: list, failing_over: bool) -> str:
        """Count a failure against the endpoint (it rests for a while), log it, and note it for the final error."""
        kind = error_kind(err)
        reason = redact_text(f"{type(err).__name__}: {err}")
        self._release(endpoint, reason, wait_s=retry_after(err))
        if failing_over:
            self.telemetry.llm_failover(endpoint.shown_url)
        log.warning("LLM endpoint %s failed: %s%s", endpoint.shown_url, reason,
                    "; failing over to another endpoint" if failing_over else "")
        errors.append((kind, f"{endpoint.shown_url}: {reason}"))
        return reason

    def chat(self, messages: list[ChatMessage], temperature: float | None = None) -> str:
        """The whole reply at once, for sync callers (the LLM reranker), with the same balancing, failover and
        checks as the stream."""
        options: dict = {"max_tokens": self.max_tokens}
        if temperature is not None:
            options["temperature"] = temperature
        tried: set[int] = set()
        errors: list[tuple[type[LLMError], str]] = []
        for endpoint in self._candidates(tried, errors):
            try:
                if not endpoint.model:
                    self._discover_now(endpoint)
                reply = endpoint.llm.chat(messages, **options)
                text = reply.message.content or ""
                if not text.strip() or finish_reason(reply.raw) is None:
                    raise LLMIncomplete("an empty reply" if not text.strip() else "a reply without a finish reason")
                self._release(endpoint)
                return text
            except FAILOVER_ERRORS as err:
                if (refused := refusal(err)) is not None:
                    self._release(endpoint, outcome="error")
                    raise refused from err
                self._failed(endpoint, err, errors, len(tried) < len(self.endpoints))
            except BaseException as err:
                self._release(endpoint, redact_text(f"{type(err).__name__}: {err}"))
                raise
        raise no_answer(errors)

    async def health(self, probe: Probe | None = None) -> list[dict]:
        """One report per endpoint: state ok, busy (alive but too loaded to answer the probe in time) or down,
        with its in-flight count and the time of its last complete reply. `probe` replaces the /models request
        (the embedded server is probed without waiting on its model lock)."""
        return list(await asyncio.gather(*(self._check(e, probe) for e in self.endpoints)))

    async def _check(self, endpoint: Endpoint, probe: Probe | None) -> dict:
        report = {"url": endpoint.shown_url, "model": endpoint.model, "in_flight": endpoint.in_flight,
                  "last_ok_s_ago": round(time.time() - endpoint.last_ok, 1) if endpoint.last_ok else None}
        started = time.perf_counter()
        try:
            found = await probe(endpoint) if probe else await self._probe_models(endpoint)
            report.update(found)
        except httpx.TimeoutException as err:
            busy = endpoint.in_flight > 0
            report.update(state="busy" if busy else "down",
                          error="no timely reply to the health probe"
                                + (f" while {endpoint.in_flight} answer(s) are being generated" if busy else
                                   f" ({type(err).__name__})"))
        except Exception as err:
            report.update(state="down", error=redact_text(f"{type(err).__name__}: {err}"))
        report["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
        if report["state"] == "ok" and endpoint.in_flight:
            report["state"] = "busy"
        report["ok"] = report["state"] in ("ok", "busy")
        if not report["ok"]:
            log.warning("LLM endpoint %s is down: %s", endpoint.shown_url, report.get("error"))
        return report

    async def _probe_models(self, endpoint: Endpoint) -> dict:
        async with httpx.AsyncClient(timeout=self.health_timeout) as client:
            resp = await client.get(f"{endpoint.base_url}/models",
                                    headers={"Authorization": f"Bearer {self.api_key}"})
        resp.raise_for_status()
        models = [m.get("id") for m in resp.json().get("data", [])]
        if not endpoint.model and models:
            endpoint.model = endpoint.llm.model = str(models[0])
            log.info("LLM endpoint %s serves model %s", endpoint.shown_url, endpoint.model)
        return {"state": "ok", "model": endpoint.model, "models": models}
