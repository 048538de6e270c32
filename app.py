"""Composition root: Settings -> RagService -> HTTP API + Gradio UI -> one uvicorn server (UI at /)."""
from __future__ import annotations

import logging
import os
import sys
from contextlib import asynccontextmanager

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import gradio as gr
import uvicorn
from fastapi import FastAPI

from config.logs import configure_logging
from config.settings import Settings, SettingsError, load_settings
from rag import RagService, build_service
from webapp.api import install_api
from webapp.sse import StreamHeaders
from webapp.ui import CSS, HEAD, I18N, build_ui

log = logging.getLogger("quadrate")


def create_app(settings: Settings, service: RagService | None = None) -> FastAPI:
    """Build the whole app around a service (one is created from the settings when not given)."""
    service = service or build_service(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        yield
        service.close()

    app = FastAPI(title="Quadrate Chat", version="0.1.0", lifespan=lifespan)
    app.add_middleware(StreamHeaders)   # Gradio's streams too: a buffering proxy passes tokens on as they come
    install_api(app, service)
    app.state.service = service
    demo = build_ui(service)
    demo.queue(default_concurrency_limit=settings.chat_concurrency, max_size=None)
    max_mb = int(settings.max_file_mb)
    return gr.mount_gradio_app(app, demo, path="/", max_file_size=f"{max_mb}mb", footer_links=["api"],
                               show_error=True, css=CSS, head=HEAD, i18n=I18N)


def exposure_warning(settings: Settings) -> str:
    """A warning for an app that anyone on the network can use with every right, or "" when it is not one."""
    loopback = settings.host in ("127.0.0.1", "::1", "localhost") or settings.host.startswith("127.")
    if settings.auth != "off" or loopback:
        return ""
    return (f"AUTH=off and the app listens on {settings.host}: anyone who reaches port {settings.port} can read, "
            f"upload to and delete every space; set AUTH=local or proxy, or HOST=127.0.0.1")


def main() -> int:
    try:
        settings = load_settings()
    except SettingsError as err:
        print(err, file=sys.stderr)
        return 2
    configure_logging(settings)
    if warning := exposure_warning(settings):
        log.warning(warning)
    app = create_app(settings)
    print(f"Quadrate Chat on http://{settings.host}:{settings.port}/", flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level.lower(),
                timeout_graceful_shutdown=5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
