"""GET /metrics in Prometheus's text format: the engine's registry (answers, retrieval, LLM endpoints, ingestion,
and the LLM servers' own metrics when METRICS_LLM_UPSTREAM is on) plus the HTTP requests counted here, by route
template (never the raw path, so names in URLs do not blow up the label set), method and status."""
from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from rag import RagService


class HttpMetrics:
    """ASGI middleware counting every HTTP request once its status is known; it never touches the body, so
    streams pass through untouched."""

    def __init__(self, app, counter) -> None:
        self.app, self.counter = app, counter

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = [500]

        async def counting_send(message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            route = scope.get("route")
            name = getattr(route, "path", None) or ("/metrics" if scope["path"] == "/metrics" else "(ui)")
            self.counter.labels(name, scope["method"], str(status[0])).inc()


def install_metrics(app: FastAPI, service: RagService) -> None:
    registry = service.telemetry.registry
    app.add_middleware(HttpMetrics, counter=service.telemetry.http_requests)

    @app.get("/metrics", include_in_schema=True, tags=["operations"], response_class=Response,
             responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text format"}})
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
