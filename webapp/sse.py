"""Server-Sent Events framing for the streaming routes, and the headers that keep a reverse proxy from buffering
them (nginx honours X-Accel-Buffering: no; see deploy/nginx/)."""
from __future__ import annotations

STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def sse(data: str, event: str | None = None) -> bytes:
    """One event: `data` must be a single line (JSON is)."""
    return (f"event: {event}\ndata: {data}\n\n" if event else f"data: {data}\n\n").encode("utf-8", "replace")
