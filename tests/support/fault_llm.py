"""A scripted OpenAI-compatible chat endpoint for injecting faults (the real servers are llama.cpp and vLLM):
streams that end empty, stop without a finish reason, drop the connection mid-answer, start late, answer with an
HTTP error or send malformed SSE, and report usage or not. It runs in-process (uvicorn in a thread): `serve_stub()`
for one, `serve_stubs(n)` for several at once, each on its own free port.

Every chat request gets a `Reply`: the next one scripted with `FaultLLM.script(...)` (one per request, in order),
else the preset named by `FaultLLM.mode`: ok, empty, blank (whitespace only), no_finish, drop, slow, error500;
`answer` is what the presets stream (a hostile answer, say), `delay_s` how long "slow" waits before its first byte.
The stub records what it saw: `requests` (the request bodies), `active` / `peak_active` (streams open now / at
most at once) and `cancelled` (requests whose client went away while the stub was still waiting to start)."""
from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

from tests.support.servers import serve

MODEL = "fault-model"
ANSWER = ["Аудит ", "выявил ", "3 ", "критические ", "уязвимости ", "[1]."]


def _chunk(delta: dict, finish: str | None = None) -> str:
    body = {"id": "c1", "object": "chat.completion.chunk", "created": int(time.time()), "model": MODEL,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"


@dataclass
class Reply:
    """One scripted reply to a chat completion request."""
    deltas: list[str] = field(default_factory=lambda: list(ANSWER))  # the content deltas, in order
    status: int = 200                  # another status: an OpenAI-style JSON error body with it, no stream
    delay_s: float = 0.0               # before the first byte of the stream
    gap_s: float | Sequence[float] = 0.02  # after each delta: one for all, or one per delta
    raw: list[str] = field(default_factory=list)  # sent as is after the role chunk, before the first delta:
    #                                    malformed SSE such as "garbage\n\n" or "data: {not json\n\n"
    drop_after: int | None = None      # drop the connection after this many deltas
    finish: str | None = "stop"        # None: the stream ends ([DONE]) without a finish reason
    usage: tuple[int, int] | None = None  # (prompt, completion) tokens: sent in a last chunk without choices
    message: str = "scripted failure"  # the error body's message, with a status other than 200
    code: str | int | None = None      # the error body's code (default: the status)
    headers: dict[str, str] = field(default_factory=dict)  # with the error response (Retry-After, say)
    no_data: bool = False              # 200, then end the stream without a byte (llama.cpp over its context)

    def gap(self, i: int) -> float:
        return self.gap_s if isinstance(self.gap_s, (int, float)) else self.gap_s[i]


class FaultLLM:
    def __init__(self) -> None:
        self.mode = "ok"
        self.delay_s = 2.0
        self.answer = list(ANSWER)
        self.replies: deque[Reply] = deque()
        self.requests: list[dict] = []
        self.cancelled = 0
        self.active = 0
        self.peak_active = 0
        self.base_url = ""  # its /v1 URL, once served
        self.app = Starlette(routes=[Route("/v1/models", self.models), Route("/health", self.models),
                                     Route("/v1/chat/completions", self.chat, methods=["POST"])])

    def script(self, *replies: Reply) -> None:
        """The next requests get these replies, one each, in order; after them `mode` applies again."""
        self.replies.extend(replies)

    def preset(self, mode: str) -> Reply:
        answer = list(self.answer)
        return {"ok": Reply(answer), "slow": Reply(answer, delay_s=self.delay_s),
                "empty": Reply([]), "blank": Reply([" \n "], gap_s=0.0), "no_finish": Reply(answer, finish=None),
                "drop": Reply(answer, drop_after=3), "error500": Reply(status=500)}[mode]

    async def models(self, _: Request) -> JSONResponse:
        return JSONResponse({"object": "list", "data": [{"id": MODEL, "object": "model"}]})

    async def chat(self, request: Request):
        body = await request.json()
        self.requests.append(body)
        reply = self.replies.popleft() if self.replies else self.preset(self.mode)
        if reply.status != 200:
            kind = "server_error" if reply.status >= 500 else "invalid_request_error"
            return JSONResponse({"error": {"message": reply.message, "type": kind,
                                           "code": reply.status if reply.code is None else reply.code}},
                                status_code=reply.status, headers=reply.headers)
        if reply.no_data:
            return StreamingResponse(iter(()), media_type="text/event-stream")
        return StreamingResponse(self._events(reply), media_type="text/event-stream")

    async def _events(self, reply: Reply):
        self.active += 1
        self.peak_active = max(self.peak_active, self.active)
        try:
            try:
                if reply.delay_s:
                    await asyncio.sleep(reply.delay_s)
            except asyncio.CancelledError:
                self.cancelled += 1
                raise
            yield _chunk({"role": "assistant", "content": ""})
            for line in reply.raw:
                yield line
            for i, piece in enumerate(reply.deltas):
                yield _chunk({"content": piece})
                if reply.gap(i):
                    await asyncio.sleep(reply.gap(i))
                if reply.drop_after is not None and i + 1 >= reply.drop_after:
                    raise ConnectionResetError("scripted drop mid-answer")
            if reply.finish is not None:
                yield _chunk({}, reply.finish)
            if reply.usage is not None:
                prompt, completion = reply.usage
                usage = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
                yield "data: " + json.dumps({"id": "c1", "object": "chat.completion.chunk", "created": 0,
                                             "model": MODEL, "choices": [], "usage": usage}) + "\n\n"
            yield "data: [DONE]\n\n"
        finally:
            self.active -= 1


@contextmanager
def serve_stub(stub: FaultLLM | None = None, port: int | None = None) -> Iterator[FaultLLM]:
    """A scripted endpoint on `port` or a free one (uvicorn in a thread); its OpenAI base URL is `stub.base_url`."""
    stub = stub or FaultLLM()
    with serve(stub.app, port=port, ready_path="/v1/models") as base:
        stub.base_url = f"{base}/v1"
        yield stub


@contextmanager
def serve_stubs(count: int) -> Iterator[list[FaultLLM]]:
    """`count` independent scripted endpoints at once, each on its own port."""
    with ExitStack() as stack:
        yield [stack.enter_context(serve_stub()) for _ in range(count)]


# what the i-th of several named endpoints answers, so that a test sees which one did
ENDPOINT_ANSWERS = (["Ответ ", "от ", "A."], ["Ответ ", "от ", "B."], ["Ответ ", "от ", "C."])


@contextmanager
def serve_named_stubs(count: int) -> Iterator[list[FaultLLM]]:
    """`count` scripted endpoints (at most 3), the i-th answering ENDPOINT_ANSWERS[i]."""
    with serve_stubs(count) as stubs:
        for stub, answer in zip(stubs, ENDPOINT_ANSWERS, strict=False):
            stub.answer = list(answer)
        yield stubs
