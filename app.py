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
from fastapi import FastAPI, Request

from config.logs import configure_logging
from config.settings import Settings, SettingsError, load_settings
from rag import RagService, StoreError, build_service
from webapp.api import install_api
from webapp.share_tunnel import open_tunnel_in_background
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
    guard = install_api(app, service)     # the access gate in front of every route, Gradio's included
    demo = build_ui(service, guard)
    app.state.service, app.state.guard, app.state.demo = service, guard, demo
    demo.queue(default_concurrency_limit=settings.chat_concurrency, max_size=None)
    max_mb = int(settings.max_file_mb)

    def gradio_user(request: Request) -> str | None:
        """The principal the gate resolved, as the `username` every Gradio event handler receives."""
        principal = getattr(request.state, "principal", None)
        return principal.ref if principal is not None else None

    return gr.mount_gradio_app(app, demo, path="/", max_file_size=f"{max_mb}mb", footer_links=["api"],
                               show_error=True, css=CSS, head=HEAD, i18n=I18N, auth_dependency=gradio_user)


def exposure_warning(settings: Settings) -> str:
    """A warning for an app that anyone on the network can use with every right, or "" when it is not one."""
    loopback = settings.host in ("127.0.0.1", "::1", "localhost") or settings.host.startswith("127.")
    if settings.auth == "off" and settings.gradio_share:
        return "AUTH=off with GRADIO_SHARE=true: whoever gets the public link can read, upload to and delete " \
               "every space; set AUTH=local"
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
    try:
        app = create_app(settings)
    except StoreError as err:   # the embedded store in use by another process, a server that cannot be reached
        print(f"Quadrate Chat cannot start: {err}", file=sys.stderr)
        return 1
    if settings.auth == "local" and not app.state.service.access.list_users():
        log.warning("AUTH=local and no user exists: nobody can sign in; set ADMIN_USER and ADMIN_PASSWORD, or "
                    "add one with `python -m rag.cli users add NAME --admin`")
    if settings.gradio_share:
        open_tunnel_in_background(settings, app.state.guard.allow_host)
    print(f"Quadrate Chat on http://{settings.host}:{settings.port}/", flush=True)
    # proxy_headers off: the gate trusts forwarded headers only from TRUSTED_PROXIES, and must see the real peer
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level.lower(),
                timeout_graceful_shutdown=5, proxy_headers=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
