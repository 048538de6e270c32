"""Who may call the HTTP APIs: the one dependency every API route but /health and /metrics takes. With API_KEY
set, a request needs `Authorization: Bearer <API_KEY>` (compared in constant time, never logged); without it,
every caller is the local user. Per-user and per-space rights will widen this same check.

A refusal is an `AuthError`: the REST routes answer it as {"detail", "code"}, the OpenAI route in OpenAI's error
shape, both with 401 and `WWW-Authenticate: Bearer`."""
from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from config.settings import Settings

_bearer = HTTPBearer(auto_error=False, description="API_KEY, when the server sets one")


class AuthError(Exception):
    """The request lacks a valid API key."""
    code = "invalid_api_key"


def api_key_guard(settings: Settings):
    """The dependency that checks the API key of the settings (a no-op when API_KEY is empty)."""
    expected = settings.api_key.get_secret_value().encode()

    async def require_api_key(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> None:
        if not expected:
            return
        given = credentials.credentials.encode() if credentials and credentials.scheme.lower() == "bearer" else b""
        if not hmac.compare_digest(given, expected):
            raise AuthError("the API key is not valid" if given else
                            "an API key is needed: send 'Authorization: Bearer <API_KEY>'")

    return require_api_key
