"""Calling any of a Gradio app's event handlers over HTTP as its page does (POST /gradio_api/queue/join, then the
session's event stream), by the handler's name: the private ones too, which gradio_client refuses to call, so a
test can craft the request a hostile page or script would send."""
from __future__ import annotations

import json
import uuid

import httpx


def fn_index(demo, qualname_end: str) -> int:
    """The index of the event whose handler's qualified name ends with `qualname_end` (e.g.
    "build_documents.<locals>.on_delete")."""
    found = [i for i, fn in demo.fns.items() if getattr(fn.fn, "__qualname__", "").endswith(qualname_end)]
    assert len(found) >= 1, f"no handler named {qualname_end}"
    return found[0]


class Session:
    """One browser-like session: its calls share a session hash (and so the components' per-session state)."""

    def __init__(self, base: str, **credentials) -> None:
        self.base, self.hash = base, uuid.uuid4().hex[:11]
        self.http = httpx.Client(base_url=base, timeout=60, **credentials)

    def call(self, index: int, data: list) -> dict:
        """The event's completion message: {"success": bool, "output": {...}} (an error's text in output)."""
        joined = self.http.post("/gradio_api/queue/join", json={
            "data": data, "fn_index": index, "session_hash": self.hash, "event_data": None, "trigger_id": None})
        if joined.status_code != 200:
            return {"success": False, "status": joined.status_code, "output": {"error": joined.text}}
        with self.http.stream("GET", f"/gradio_api/queue/data?session_hash={self.hash}") as stream:
            for line in stream.iter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                if message.get("msg") == "process_completed":
                    return message
        raise AssertionError("the event stream ended without a result")
