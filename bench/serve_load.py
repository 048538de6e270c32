"""The load generator of bench.serve: one streamed chat request at a time through an OpenAI-compatible endpoint
(httpx, async, one shared client) or through the app's Gradio chat (bench/gradio_chat.py), and a level that keeps
at most `concurrency` requests in flight until `requests` are done.

Per request it records the time to the first content (request sent -> first chunk with non-empty content), the gaps
between consecutive content chunks, and the completion tokens: from the usage chunk when the server sends one
(`stream_options.include_usage` is always asked), else the number of content chunks. It takes the conversation so
far (`history`: earlier messages, oldest first) and gives it back with the new turn in `RequestResult.conversation`,
so a caller can ask follow-ups (bench.load's sessions)."""
from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.common import percentile


@dataclass
class Target:
    """A benchmark target: `kind` openai (url = the /v1 base) or gradio (url = the app's root)."""
    name: str
    kind: str
    url: str
    model: str = ""

    @classmethod
    def parse(cls, text: str) -> Target:
        """NAME=URL[#MODEL]; a URL starting gradio+http drives the Gradio chat at that root (MODEL = the space)."""
        name, sep, rest = text.partition("=")
        if not sep or not name or not rest:
            raise ValueError(f"a target is NAME=URL[#MODEL], got {text!r}")
        url, _, model = rest.partition("#")
        kind = "gradio" if url.startswith("gradio+") else "openai"
        url = url.removeprefix("gradio+").rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"target {name}: the URL must start with http:// or https:// (got {url!r})")
        return cls(name, kind, url, model)


@dataclass
class RequestResult:
    ok: bool
    latency_s: float
    ttft_s: float | None = None
    gaps_s: list[float] = field(default_factory=list)
    tokens: int = 0
    prompt_tokens: int | None = None
    usage_reported: bool = False
    error: str = ""
    prompt: int = -1          # the index of its prompt
    conversation: list[dict] = field(default_factory=list)   # the history with this turn, for a follow-up


@dataclass
class LevelResult:
    target: str
    concurrency: int
    wall_s: float
    results: list[RequestResult]
    client_cpu_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def _pct(values: list[float], q: float) -> float | None:
    return percentile(values, q) if values else None


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 2)


def summarize(level: LevelResult) -> dict[str, Any]:
    ok = [r for r in level.results if r.ok]
    errors = [r for r in level.results if not r.ok]
    ttfts = [r.ttft_s for r in ok if r.ttft_s is not None]
    gaps = [g for r in ok for g in r.gaps_s]
    tokens = sum(r.tokens for r in ok)
    wall = level.wall_s or float("nan")
    prompts = [r.prompt_tokens for r in ok if r.prompt_tokens is not None]
    return {"concurrency": level.concurrency, "requests": len(level.results), "ok": len(ok),
            "errors": len(errors), "first_error": errors[0].error if errors else "",
            "wall_s": round(level.wall_s, 3), "completion_tokens": tokens,
            "tokens_per_s": round(tokens / wall, 2), "requests_per_s": round(len(ok) / wall, 3),
            "ttft_p50_ms": _ms(_pct(ttfts, 50)), "ttft_p99_ms": _ms(_pct(ttfts, 99)),
            "itl_p50_ms": _ms(_pct(gaps, 50)), "itl_p99_ms": _ms(_pct(gaps, 99)),
            "latency_p50_ms": _ms(_pct([r.latency_s for r in ok], 50)),
            "tokens_from_usage": sum(r.usage_reported for r in ok),
            "prompt_tokens_mean": round(sum(prompts) / len(prompts), 1) if prompts else None,
            "client_cpu_s": round(level.client_cpu_s, 2), **level.extra}


def raw_figures(level: LevelResult) -> list[dict[str, Any]]:
    """Every request's own figures, in ms, for the JSON."""
    return [{"prompt": r.prompt, "ok": r.ok, "ttft_ms": _ms(r.ttft_s), "latency_ms": _ms(r.latency_s),
             "tokens": r.tokens, "prompt_tokens": r.prompt_tokens, "error": r.error,
             "gaps_ms": [round(g * 1e3, 2) for g in r.gaps_s]} for r in level.results]


# --- OpenAI-compatible endpoints ----------------------------------------------------------------------------------
def openai_client(concurrency: int, timeout_s: float, api_key: str = "") -> httpx.AsyncClient:
    """The client for every OpenAI target; `api_key` (an app with AUTH on: a user's qc_… key) as a Bearer token."""
    limits = httpx.Limits(max_connections=concurrency + 8, max_keepalive_connections=concurrency + 8)
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    return httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(timeout_s, connect=10.0), headers=headers)


async def first_model(client: httpx.AsyncClient, base_url: str) -> str:
    """The first model an endpoint lists at /models."""
    resp = await client.get(f"{base_url}/models")
    resp.raise_for_status()
    data = resp.json().get("data") or []
    if not data:
        raise ValueError(f"{base_url}/models lists no model")
    return str(data[0]["id"])


async def openai_request(client: httpx.AsyncClient, target: Target, prompt: str, max_tokens: int,
                         history: list[dict] | None = None) -> RequestResult:
    messages = [*(history or []), {"role": "user", "content": prompt}]
    body = {"model": target.model, "messages": messages, "stream": True,
            "max_tokens": max_tokens, "temperature": 0, "stream_options": {"include_usage": True}}
    started = time.perf_counter()
    first = last = None
    gaps: list[float] = []
    parts: list[str] = []
    chunks, usage, finish, done = 0, None, None, False
    try:
        async with client.stream("POST", f"{target.url}/chat/completions", json=body) as resp:
            if resp.status_code != 200:
                text = (await resp.aread()).decode(errors="replace")[:300]
                return RequestResult(False, time.perf_counter() - started, error=f"HTTP {resp.status_code}: {text}")
            async for line in resp.aiter_lines():
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    done = True
                    break
                chunk = json.loads(data)
                if "error" in chunk:
                    raise RuntimeError(f"error event: {json.dumps(chunk['error'], ensure_ascii=False)[:300]}")
                usage = chunk.get("usage") or usage
                for choice in chunk.get("choices") or []:
                    if content := (choice.get("delta") or {}).get("content"):
                        parts.append(content)
                        now = time.perf_counter()
                        if last is None:
                            first = now
                        else:
                            gaps.append(now - last)
                        last = now
                        chunks += 1
                    finish = choice.get("finish_reason") or finish
    except Exception as err:
        return RequestResult(False, time.perf_counter() - started, error=f"{type(err).__name__}: {err}"[:300])
    latency = time.perf_counter() - started
    if not chunks or finish is None or not done:
        what = "no content" if not chunks else "no finish_reason" if finish is None else "no [DONE]"
        return RequestResult(False, latency, error=f"incomplete stream: {what}")
    tokens = int(usage["completion_tokens"]) if usage and usage.get("completion_tokens") is not None else chunks
    return RequestResult(True, latency, None if first is None else first - started, gaps, tokens,
                         usage.get("prompt_tokens") if usage else None, usage is not None,
                         conversation=[*messages, {"role": "assistant", "content": "".join(parts)}])


# --- one level ----------------------------------------------------------------------------------------------------
async def run_level(name: str, send: Callable[[str], Awaitable[RequestResult]], prompts: list[str],
                    concurrency: int, requests: int) -> LevelResult:
    """`requests` requests (prompts in turn), at most `concurrency` in flight; the wall time runs from the first
    request sent to the last one finished."""
    results: list[RequestResult] = []
    counter = iter(range(requests))

    async def worker() -> None:
        for i in counter:
            result = await send(prompts[i % len(prompts)])
            result.prompt = i % len(prompts)
            results.append(result)

    cpu, started = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(min(concurrency, requests))))
    return LevelResult(name, concurrency, time.perf_counter() - started, results, time.process_time() - cpu)


def process_cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of a process (Linux /proc), None where unavailable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None
