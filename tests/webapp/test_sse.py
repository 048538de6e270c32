"""Every event stream leaves the app with the headers that keep a proxy from buffering it (Gradio's own queue
stream included, whose headers the app does not set), and nothing else gets them."""
from starlette.applications import Starlette
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from webapp.sse import StreamHeaders, sse


async def events(_):
    return StreamingResponse(iter([sse('{"a": 1}'), sse("[DONE]")]), media_type="text/event-stream")


async def own_header(_):
    return StreamingResponse(iter([sse("x")]), media_type="text/event-stream", headers={"Cache-Control": "private"})


async def plain(_):
    return JSONResponse({"ok": True})


def test_event_streams_get_the_no_buffering_headers():
    app = StreamHeaders(Starlette(routes=[Route("/events", events), Route("/own", own_header),
                                          Route("/plain", plain)]))
    client = TestClient(app)
    streamed = client.get("/events")
    assert streamed.headers["x-accel-buffering"] == "no" and streamed.headers["cache-control"] == "no-cache"
    assert streamed.text == 'data: {"a": 1}\n\ndata: [DONE]\n\n'
    own = client.get("/own")
    assert own.headers["cache-control"] == "private" and own.headers["x-accel-buffering"] == "no"
    assert "x-accel-buffering" not in client.get("/plain").headers


def test_the_gradio_queue_stream_carries_them(stub_app):
    import httpx

    base, _, _ = stub_app
    with httpx.stream("GET", f"{base}/gradio_api/queue/data", params={"session_hash": "nobody"}, timeout=10) as r:
        assert r.headers["content-type"].startswith("text/event-stream"), r.headers
        assert r.headers["x-accel-buffering"] == "no"
