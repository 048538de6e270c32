"""GRADIO_SHARE=true: gradio's public share tunnel to this app (a *.gradio.live address), when the machine is
online. Offline (or when gradio's share server cannot be reached) it logs one line and the app runs on without."""
from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from urllib.parse import urlsplit

from config.settings import Settings

log = logging.getLogger(__name__)


def open_tunnel(settings: Settings, on_open: Callable[[str], None]) -> str | None:
    """Open the tunnel; its URL (after `on_open(host name)` let the app answer that host), or None."""
    from gradio import networking

    local = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    try:
        url = networking.setup_tunnel(local, settings.port, secrets.token_urlsafe(32), None, None)
    except Exception as err:   # offline, blocked, or the share server is down: the app itself is fine
        log.warning("GRADIO_SHARE: no public link (%s: %s); the app runs on http://%s:%s/ only",
                    type(err).__name__, str(err)[:200], settings.host, settings.port)
        return None
    on_open(urlsplit(url).hostname or "")
    log.warning("GRADIO_SHARE: public link %s (anyone with it reaches this app%s)", url,
                "; AUTH=off gives them every right" if settings.auth == "off" else "")
    return url


def open_tunnel_in_background(settings: Settings, on_open: Callable[[str], None]) -> threading.Thread:
    thread = threading.Thread(target=open_tunnel, args=(settings, on_open), daemon=True, name="gradio-share")
    thread.start()
    return thread
