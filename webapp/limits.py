"""Request guards for the HTTP API: length limits from the settings (413 with a message that names the limit),
a body-size cap read before any JSON is parsed, and validation errors (422) that never echo the input back
(NaN, 1e309 or a lone surrogate in a field would otherwise make the error response itself fail with a 500)."""
from __future__ import annotations

import re

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from config.settings import Settings
from webapp.openai_errors import OPENAI_PREFIX, is_openai, openai_error

_SURROGATES = re.compile(r"[\ud800-\udfff]")
_GUARDED_PREFIXES = ("/ask", "/spaces", OPENAI_PREFIX)   # JSON routes; uploads (multipart) have their own size limit


def check_ask_limits(settings: Settings, question: str, history: list[str]) -> str | None:
    """None when the question and the earlier messages are within the limits, else what is over which limit."""
    if len(question) > settings.max_question_chars:
        return (f"the question is {len(question)} characters long; the limit is {settings.max_question_chars} "
                f"(MAX_QUESTION_CHARS)")
    if len(history) > settings.max_history_messages:
        return (f"the history holds {len(history)} messages; the limit is {settings.max_history_messages} "
                f"(MAX_HISTORY_MESSAGES)")
    longest = max((len(text) for text in history), default=0)
    if longest > settings.max_message_chars:
        return (f"a message in the history is {longest} characters long; the limit is "
                f"{settings.max_message_chars} (MAX_MESSAGE_CHARS)")
    total = sum(len(text) for text in history)
    if total > settings.max_history_chars:
        return (f"the history holds {total} characters; the limit is {settings.max_history_chars} "
                f"(MAX_HISTORY_CHARS)")
    return None


def max_body_bytes(settings: Settings) -> int:
    """The largest JSON body a legal request needs: the text limits at up to 4 bytes a character, JSON escaping
    and structure included, plus room for the other fields."""
    chars = settings.max_question_chars + settings.max_history_chars
    return 6 * chars + 32 * settings.max_history_messages + (64 << 10)


class BodySizeLimit:
    """ASGI middleware: a JSON body over `limit` bytes on the guarded routes gets 413 before it is parsed (by its
    Content-Length, or while a chunked body is read: then the app sees a disconnect and its reply is dropped)."""

    def __init__(self, app, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(_GUARDED_PREFIXES):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length", b"0")
        if declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, receive, send)
            return
        seen, refused = 0, False

        async def counting_receive():
            nonlocal seen, refused
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit and not refused:
                refused = True
                await self._refuse(scope, receive, send)
                return {"type": "http.disconnect"}
            return message

        async def guarded_send(message) -> None:
            if not refused:
                await send(message)

        await self.app(scope, counting_receive, guarded_send)

    async def _refuse(self, scope, receive, send) -> None:
        message = (f"the request body is over {self.limit} bytes (the limits are MAX_QUESTION_CHARS and "
                   f"MAX_HISTORY_CHARS)")
        response = (openai_error(413, message, "request_too_large") if scope["path"].startswith(OPENAI_PREFIX) else
                    JSONResponse({"detail": message}, status_code=413))
        await response(scope, receive, send)


def _clean(value) -> str | int:
    return value if isinstance(value, int) else _SURROGATES.sub("\ufffd", str(value))


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [{"loc": [_clean(p) for p in e.get("loc", ())], "msg": _clean(e.get("msg", "")),
               "type": _clean(e.get("type", ""))} for e in exc.errors()]
    if is_openai(request):  # OpenAI answers a bad parameter with 400 and names it
        first = exc.errors()[0] if exc.errors() else {}
        loc, msg = list(first.get("loc", ()))[1:], _clean(first.get("msg", "invalid request"))
        param = ".".join(str(_clean(p)) for p in loc) or None
        return openai_error(400, f"{param or 'request'}: {msg}", "invalid_request", param)
    return JSONResponse({"detail": errors}, status_code=422)


def install_request_guards(app: FastAPI, settings: Settings) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_middleware(BodySizeLimit, limit=max_body_bytes(settings))
