"""A Qdrant server (QDRANT_URL) that cannot be reached is a StoreError, with the server and the reason, on every
call, instead of the client's transport exception (an internal error, a 500): /health is then 503 naming it, the
REST and OpenAI routes answer 503 `store_error`, and the chat says so. The app starts while the server is down
(a compose stack starts the app before Qdrant is ready): the registry collection is made on the first call that
reaches it, and every call tries again, so nothing needs a restart once the server is back."""
from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

import httpx
from qdrant_client import QdrantClient
from qdrant_client.http.exceptions import ResponseHandlingException

from rag.errors import StoreError
from rag.text.redact import redact_text, redact_url

log = logging.getLogger(__name__)
_UNREACHABLE = (ResponseHandlingException, httpx.TransportError, ConnectionError, TimeoutError)


class ServerClient:
    def __init__(self, url: str, api_key: str, registry: str) -> None:
        self._inner = QdrantClient(url=url, api_key=api_key or None, timeout=30)
        self._url, self._registry, self._ready = redact_url(url), registry, False
        try:
            self._reached(self._ensure_registry)
        except StoreError as err:
            log.warning("%s; the app starts and tries again on each request", err)

    def _ensure_registry(self) -> None:
        if self._ready:
            return
        if not self._inner.collection_exists(self._registry):
            self._inner.create_collection(self._registry, vectors_config={})
        self._ready = True

    def _reached(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """`method` called once the registry exists, a server that cannot be reached raising StoreError."""
        try:
            self._ensure_registry()
            return method(*args, **kwargs)
        except _UNREACHABLE as err:
            raise StoreError(f"the Qdrant server at {self._url} cannot be reached "
                             f"({redact_text(f'{type(err).__name__}: {err}')})") from err

    def __getattr__(self, name: str):
        attr = getattr(self._inner, name)
        if not callable(attr) or name == "close":
            return attr
        return functools.partial(self._reached, attr)
