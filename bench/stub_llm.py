"""A paced OpenAI-compatible LLM for serving benchmarks: it streams a fixed number of tokens at a fixed pace with
unlimited parallelism (every request sleeps on the event loop, no lock), so any slowdown measured through a client
is the client's or the path's in between, not the model's.

    python -m bench.stub_llm [--port 8001] [--token-ms 20] [--first-token-ms 20] [--tokens 128]

`POST /v1/chat/completions` streams (or, without `stream`, returns at once after the same total time) min(max_tokens,
--tokens) tokens: the first after --first-token-ms, then one every --token-ms, on an absolute schedule so event-loop
jitter does not add up. Each token is one word (Russian and English words, a citation [1], a line break every 12
words, so a caller that reads only the first line, like the app's query translation, stops early). It sends a usage
chunk when `stream_options.include_usage` is set. `GET /v1/models` lists one model, `GET /health` answers ok.

`stub_process(...)` runs it as a child process (its own interpreter, so it never competes for the caller's GIL) and
yields its /v1 base URL and the process."""
from __future__ import annotations

import argparse
import asyncio
import json
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

MODEL = "stub-model"
WORDS = ("Аудит выявил 3 критические уязвимости в системе обработки платежей [1]. The audit found three critical "
         "issues; срок устранения до конца квартала, ответственный Сидоров А.В.").split()
LINE_WORDS = 12


def token_text(i: int) -> str:
    """The i-th token: a word and a space, or a line break after every LINE_WORDS words."""
    return WORDS[i % len(WORDS)] + ("\n" if (i + 1) % LINE_WORDS == 0 else " ")


def _chunk(cid: str, created: int, delta: dict, finish: str | None = None) -> bytes:
    body = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": MODEL,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}
    return b"data: " + json.dumps(body, ensure_ascii=False).encode() + b"\n\n"


def build_app(token_ms: float = 20.0, first_token_ms: float = 20.0, tokens: int = 128):
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, StreamingResponse
    from starlette.routing import Route

    state = {"requests": 0, "active": 0, "peak_active": 0}

    def usage(body: dict, count: int) -> dict:
        prompt = sum(len(str(m.get("content") or "")) for m in body.get("messages", [])) // 4
        return {"prompt_tokens": prompt, "completion_tokens": count, "total_tokens": prompt + count}

    def finish(body: dict, count: int) -> str:
        return "length" if count == (body.get("max_completion_tokens") or body.get("max_tokens")) else "stop"

    async def models(_: Request) -> JSONResponse:
        return JSONResponse({"object": "list", "data": [{"id": MODEL, "object": "model", "owned_by": "bench"}]})

    async def health(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", **state})

    async def stream(body: dict, count: int, cid: str, created: int) -> AsyncIterator[bytes]:
        state["active"] += 1
        state["peak_active"] = max(state["peak_active"], state["active"])
        loop = asyncio.get_running_loop()
        start = loop.time()
        try:
            for i in range(count):
                delay = start + (first_token_ms + i * token_ms) / 1000 - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                delta = {"role": "assistant", "content": token_text(i)} if i == 0 else {"content": token_text(i)}
                yield _chunk(cid, created, delta)
            yield _chunk(cid, created, {}, finish(body, count))
            if (body.get("stream_options") or {}).get("include_usage"):
                yield b"data: " + json.dumps({"id": cid, "object": "chat.completion.chunk", "created": created,
                                              "model": MODEL, "choices": [], "usage": usage(body, count)}).encode() \
                    + b"\n\n"
            yield b"data: [DONE]\n\n"
        finally:
            state["active"] -= 1

    async def chat(request: Request):
        body = await request.json()
        state["requests"] += 1
        limit = body.get("max_completion_tokens") or body.get("max_tokens") or tokens
        count = max(1, min(int(limit), tokens))
        cid, created = f"chatcmpl-stub{state['requests']}", int(time.time())
        if body.get("stream"):
            return StreamingResponse(stream(body, count, cid, created), media_type="text/event-stream")
        await asyncio.sleep((first_token_ms + (count - 1) * token_ms) / 1000)
        text = "".join(token_text(i) for i in range(count))
        return JSONResponse({"id": cid, "object": "chat.completion", "created": created, "model": MODEL,
                             "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                          "finish_reason": finish(body, count)}], "usage": usage(body, count)})

    return Starlette(routes=[Route("/v1/models", models), Route("/health", health),
                             Route("/v1/chat/completions", chat, methods=["POST"])])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(url: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    """Poll GET `url` until it answers 200; raise if the process exits or `timeout` passes first."""
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode} before {url} answered")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except Exception:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


@contextmanager
def child_process(args: list[str], ready_url: str, timeout: float = 60.0,
                  log: Path | None = None) -> Iterator[subprocess.Popen]:
    """Run `python -m ...args` until the block ends (its output to `log`, if given); yields once `ready_url`
    answers; terminates it afterwards."""
    out = log.open("ab") if log is not None else None
    proc = subprocess.Popen([sys.executable, "-m", *args], stdout=out, stderr=subprocess.STDOUT if out else None)
    try:
        wait_ready(ready_url, proc, timeout)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if out is not None:
            out.close()


@contextmanager
def stub_process(token_ms: float = 20.0, first_token_ms: float = 20.0, tokens: int = 128,
                 log: Path | None = None) -> Iterator[tuple[str, subprocess.Popen]]:
    """The stub in a child process on a free port; yields (its OpenAI base URL …/v1, the process)."""
    port = free_port()
    with child_process(["bench.stub_llm", "--port", str(port), "--token-ms", str(token_ms), "--first-token-ms",
                        str(first_token_ms), "--tokens", str(tokens)], f"http://127.0.0.1:{port}/v1/models",
                       log=log) as proc:
        yield f"http://127.0.0.1:{port}/v1", proc


def main(argv: list[str] | None = None) -> int:
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m bench.stub_llm", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--token-ms", type=float, default=20.0, help="gap between tokens (default 20)")
    parser.add_argument("--first-token-ms", type=float, default=20.0, help="request to first token (default 20)")
    parser.add_argument("--tokens", type=int, default=128, help="most tokens per reply (default 128)")
    args = parser.parse_args(argv)
    app = build_app(args.token_ms, args.first_token_ms, args.tokens)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
