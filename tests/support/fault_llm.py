"""A scripted OpenAI-compatible chat endpoint for injecting faults (the real servers are llama.cpp and vLLM):
streams that end empty, stop without a finish reason, drop the connection mid-answer, or start late.

`FaultLLM.mode` picks the behaviour of the next requests: ok, empty, blank (whitespace only), no_finish, drop,
slow, error500; `answer`
is what "ok" and "slow" stream (a hostile answer, say), and `cancelled` counts requests whose client went away."""
from __future__ import annotations

import asyncio
import json
import time

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

MODEL = "fault-model"
ANSWER = ["Аудит ", "выявил ", "3 ", "критические ", "уязвимости ", "[1]."]


def _chunk(delta: dict, finish: str | None = None) -> str:
    body = {"id": "c1", "object": "chat.completion.chunk", "created": int(time.time()), "model": MODEL,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"


class FaultLLM:
    def __init__(self) -> None:
        self.mode = "ok"
        self.delay_s = 2.0
        self.requests: list[dict] = []
        self.answer = list(ANSWER)
        self.cancelled = 0
        self.app = Starlette(routes=[Route("/v1/models", self.models), Route("/health", self.models),
                                     Route("/v1/chat/completions", self.chat, methods=["POST"])])

    async def models(self, _: Request) -> JSONResponse:
        return JSONResponse({"object": "list", "data": [{"id": MODEL, "object": "model"}]})

    async def chat(self, request: Request):
        body = await request.json()
        self.requests.append(body)
        mode = self.mode
        if mode == "error500":
            return JSONResponse({"error": {"message": "scripted failure"}}, status_code=500)

        answer = list(self.answer)

        async def events():
            try:
                if mode == "slow":
                    await asyncio.sleep(self.delay_s)
            except asyncio.CancelledError:
                self.cancelled += 1
                raise
            yield _chunk({"role": "assistant", "content": ""})
            if mode in ("empty", "blank"):
                if mode == "blank":
                    yield _chunk({"content": " \n "})
                yield _chunk({}, "stop")
                yield "data: [DONE]\n\n"
                return
            for i, piece in enumerate(answer):
                yield _chunk({"content": piece})
                await asyncio.sleep(0.02)
                if mode == "drop" and i == 2:
                    raise ConnectionResetError("scripted drop mid-answer")
            if mode != "no_finish":
                yield _chunk({}, "stop")
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")
