"""The OpenAI-compatible RAG endpoint: GET /v1/models lists the spaces as models; POST /v1/chat/completions answers
the last user message from the space named by `model`, following up on the earlier messages, through the same
facade as the UI and REST. Streaming follows OpenAI's chunk format (the role with the first content, content
deltas, a final chunk with finish_reason and the extra `sources`, a usage chunk when asked, then [DONE]).

A failure before the first token is an HTTP error in OpenAI's shape (404 unknown space, 503 no LLM reachable, 502
an empty or broken reply); one after it ends the stream with an `error` event, which the OpenAI clients raise."""
from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, StreamingResponse

from rag import AnswerDone, AnswerEvent, AnswerFailed, Generation, RagService, SourcesFound, Token
from webapp.auth.guard import Caller, Guard
from webapp.errors import status_of_code
from webapp.limits import check_ask_limits
from webapp.openai_errors import openai_error, openai_error_body
from webapp.openai_schema import (
    AssistantMessage,
    ChatCompletion,
    ChatCompletionRequest,
    Choice,
    CompletionUsage,
    ErrorResponse,
    ModelCard,
    ModelList,
    completion_id,
    now,
)
from webapp.sse import STREAM_HEADERS, sse

log = logging.getLogger(__name__)
_ERRORS: dict[int | str, dict[str, Any]] = {status: {"model": ErrorResponse} for status in (400, 401, 403, 404, 413,
                                                                                               429, 502, 503)}


class BadMessages(ValueError):
    """The messages hold no question to answer."""


def failure_body(failed: AnswerFailed, seen: list[AnswerEvent]) -> dict:
    """A failed answer in OpenAI's error shape, with the sources found (from the events `seen`) beside it."""
    sources = next((e.answer.sources for e in seen if isinstance(e, AnswerDone)), None) or \
        next((e.sources for e in seen if isinstance(e, SourcesFound)), [])
    return openai_error_body(status_of_code(failed.code), _failure_message(failed), failed.code,
                             sources=[s.model_dump(mode="json") for s in sources])


def failure_response(failed: AnswerFailed, seen: list[AnswerEvent]) -> JSONResponse:
    """An answer that failed before its first token, as an HTTP error in OpenAI's shape."""
    return JSONResponse(failure_body(failed, seen), status_code=status_of_code(failed.code))


def _failure_message(failed: AnswerFailed) -> str:
    return f"{failed.message} {failed.detail}".strip()


def split_messages(req: ChatCompletionRequest) -> tuple[str, list[dict]]:
    """(the question, the earlier user and assistant messages, oldest first)."""
    last = req.messages[-1]
    if last.role != "user" or not last.text().strip():
        raise BadMessages("the last message must be the user's question, with text")
    history = [{"role": m.role, "content": m.text()} for m in req.messages[:-1] if m.role in ("user", "assistant")]
    return last.text(), history


class ChunkWriter:
    """The SSE lines of one streamed completion; the constant part of a content chunk is rendered once."""

    def __init__(self, model: str) -> None:
        self.id, self.created, self.model = completion_id(), now(), model
        head = json.dumps({"id": self.id, "object": "chat.completion.chunk", "created": self.created,
                           "model": model}, ensure_ascii=False)[:-1]
        self._head = head
        self._content_head = head + ', "choices": [{"index": 0, "delta": {"content": '
        self._role_head = head + ', "choices": [{"index": 0, "delta": {"role": "assistant", "content": '

    def content(self, text: str, role: bool = False) -> bytes:
        """A content delta; the first one also carries the role."""
        head = self._role_head if role else self._content_head
        return sse(f'{head}{json.dumps(text, ensure_ascii=False)}}}, "logprobs": null, "finish_reason": null}}]}}')

    def chunk(self, **fields) -> bytes:
        return sse(self._head + ", " + json.dumps(fields, ensure_ascii=False)[1:])


async def _start(events: AsyncIterator[AnswerEvent]) -> tuple[list[AnswerEvent], AnswerFailed | None]:
    """Read the events up to the first of the model's tokens (or the end), so that a failure before it can
    still be an HTTP status. A space that does not exist raises here (404)."""
    head: list[AnswerEvent] = []
    async for event in events:
        if isinstance(event, AnswerFailed):
            async for done in events:   # its AnswerDone follows at once: the answer is counted and logged
                head.append(done)
            return head, event
        head.append(event)
        if isinstance(event, AnswerDone) or (isinstance(event, Token) and not event.notice):
            break
    return head, None


async def _stream(events: AsyncIterator[AnswerEvent], head: list[AnswerEvent], writer: ChunkWriter,
                  include_usage: bool) -> AsyncIterator[bytes]:
    first, seen = True, list(head)
    try:
        pending = list(head)
        while True:
            if pending:
                event = pending.pop(0)
            else:
                event = await anext(events, None)  # type: ignore[arg-type]
                if event is None:
                    break
            if isinstance(event, Token):
                yield writer.content(event.text, role=first)
                first = False
            elif isinstance(event, AnswerFailed):
                yield sse(json.dumps(failure_body(event, seen), ensure_ascii=False))
                break
            elif isinstance(event, AnswerDone):
                a = event.answer
                if first:
                    yield writer.content("", role=True)
                yield writer.chunk(choices=[{"index": 0, "delta": {}, "logprobs": None,
                                             "finish_reason": a.finish_reason or "stop"}],
                                   sources=[s.model_dump(mode="json") for s in a.sources], cited=a.cited)
                if include_usage:
                    yield writer.chunk(choices=[], usage=CompletionUsage.of(a.usage).model_dump())
        yield sse("[DONE]")
    except Exception as err:  # headers are sent: end with an error event, never a silent cut
        log.exception("OpenAI stream for space %s failed", writer.model)
        yield sse(json.dumps(openai_error_body(500, f"internal error ({type(err).__name__}); the server log has "
                                                    "the details", "internal")))
        yield sse("[DONE]")
    finally:
        await events.aclose()  # type: ignore[attr-defined]


def build_openai_router(service: RagService, guard: Guard) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["OpenAI-compatible"])
    settings, access = service.settings, service.access

    @router.get("/models", response_model=ModelList, responses=_ERRORS)
    def models(who: Caller) -> ModelList:
        """The spaces the caller (their key) may read, as models."""
        return ModelList(data=[ModelCard(id=s.name, created=int(s.created)) for s in service.list_spaces()
                               if access.allowed(who, s.name, "read")])

    @router.get("/models/{model}", response_model=ModelCard, responses=_ERRORS)
    def model(model: str, who: Caller) -> ModelCard:
        access.ensure(who, model, "read")
        space = service.space(model)
        return ModelCard(id=space.name, created=int(space.created))

    @router.post("/chat/completions", response_model=ChatCompletion, responses={
        **_ERRORS, 200: {"content": {"text/event-stream": {}}, "description": "with stream=true: chunks, then "
                                                                              "[DONE]"}})
    async def chat_completions(req: ChatCompletionRequest, who: Caller):
        guard.ask(who, req.model)
        try:
            question, history = split_messages(req)
        except BadMessages as err:
            return openai_error(400, str(err), "invalid_messages", "messages")
        problem = check_ask_limits(settings, question, [m["content"] for m in history])
        if problem:
            return openai_error(413, problem, "request_too_large", "messages")
        generation = Generation(max_tokens=req.max_completion_tokens or req.max_tokens,
                                temperature=req.temperature, stop=req.stop_list())
        events = service.astream(req.model, question, history, None, generation, req.files)
        try:
            head, failed = await _start(events)
        except BaseException:
            await events.aclose()  # type: ignore[attr-defined]
            raise
        if failed is not None:
            await events.aclose()  # type: ignore[attr-defined]
            return failure_response(failed, head)
        writer = ChunkWriter(req.model)
        include_usage = bool(req.stream_options and req.stream_options.include_usage)
        if req.stream:
            return StreamingResponse(_stream(events, head, writer, include_usage), media_type="text/event-stream",
                                     headers=STREAM_HEADERS)
        return await _complete(events, head, writer)

    return router


async def _complete(events: AsyncIterator[AnswerEvent], head: list[AnswerEvent],
                    writer: ChunkWriter) -> JSONResponse:
    done: AnswerDone | None = next((e for e in head if isinstance(e, AnswerDone)), None)
    failed: AnswerFailed | None = None
    try:
        async for event in events:   # only the end matters: the tokens are in the done event's answer
            if isinstance(event, AnswerFailed):
                failed = event
            elif isinstance(event, AnswerDone):
                done = event
    finally:
        await events.aclose()  # type: ignore[attr-defined]
    if failed is not None:
        return failure_response(failed, [*head, *([done] if done else [])])
    assert done is not None, "the answer stream ended without its done event"
    a = done.answer
    body = ChatCompletion(id=writer.id, created=writer.created, model=writer.model, usage=CompletionUsage.of(a.usage),
                          choices=[Choice(message=AssistantMessage(content=a.answer),
                                          finish_reason=a.finish_reason or "stop")],
                          sources=a.sources, cited=a.cited)
    return JSONResponse(body.model_dump(mode="json"))
