"""Server-Sent Events framing for the streaming routes, and the headers that keep a reverse proxy from buffering
them (nginx honours X-Accel-Buffering: no; see deploy/nginx/)."""
from __future__ import annotations

STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def sse(data: str, event: str | None = None) -> bytes:
    """One event: `data` must be a single line (JSON is)."""
    return (f"event: {event}\ndata: {data}\n\n" if event else f"data: {data}\n\n").encode("utf-8", "replace")


class StreamHeaders:
    """ASGI middleware: every text/event-stream response (Gradio's queue included, whose headers we do not set)
    gets STREAM_HEADERS, so even a reverse proxy with default buffering passes the tokens on as they come."""

    _ADD = tuple((k.lower().encode(), v.encode()) for k, v in STREAM_HEADERS.items())

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                names = {k.lower() for k, _ in headers}
                content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                if content_type.startswith(b"text/event-stream"):
                    headers += [(k, v) for k, v in self._ADD if k not in names]
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
