"""The access gate: one ASGI middleware in front of every route of the app, REST, OpenAI and Gradio alike, so no
route can skip it (tests/webapp/test_route_access.py walks the route table to prove it). Per request it:

1. answers only the allowed Host names (ALLOWED_HOSTS; DNS rebinding gets 400);
2. refuses state-changing requests from another site (an Origin that is not this app's, or
   Sec-Fetch-Site: cross-site): 403, so no web page can post files into a space;
3. resolves who is asking (webapp/auth/identity.py) and lets through only the public paths without someone:
   a browser is sent to the login page, an API client gets 401;
4. takes files on Gradio's upload route only from those who may add documents somewhere.

Which space and action a request touches is each route's check (`service.access.ensure`), with the principal the
gate leaves in the request's state."""
from __future__ import annotations

import logging
from urllib.parse import quote, urlsplit

from starlette.responses import JSONResponse, RedirectResponse, Response

from webapp.auth.identity import Identity, Resolved
from webapp.openai_errors import OPENAI_PREFIX, openai_error

log = logging.getLogger(__name__)
PUBLIC_PATHS = frozenset({"/health", "/metrics", "/login", "/logout", "/favicon.ico", "/robots.txt"})
PUBLIC_PREFIXES = ("/s/", "/c/")          # a share link's entry, a shared conversation (their token is the key)
UPLOAD_PATHS = ("/gradio_api/upload",)
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def _host_name(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class AccessGate:
    def __init__(self, app, identity: Identity) -> None:
        self.app, self.identity = app, identity
        self.hosts = identity.hosts
        self.auth = identity.settings.auth

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        refusal = self._host_refusal(headers) or self._cross_site_refusal(scope, headers)
        if refusal is not None:
            await _answer(refusal, scope, receive, send)
            return
        path = scope["path"]
        resolved = self.identity.resolve(scope)
        state = scope.setdefault("state", {})
        state["principal"], state["credential"] = resolved.principal, resolved.via
        state["key_only"] = self.identity.key_only
        if resolved.principal is None and not is_public(path):
            await _answer(self._unauthenticated(scope, headers, resolved), scope, receive, send)
            return
        who = resolved.principal
        if who is not None and path.endswith(UPLOAD_PATHS) and not self.identity.may_upload(who):
            self.identity.access.record(who, "upload", "*", False, "no space to add to")
            await _answer(_json(403, "you may not add documents to any space", "forbidden"), scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _host_refusal(self, headers: dict[bytes, bytes]) -> Response | None:
        if "*" in self.hosts:
            return None
        host = _host_name(headers.get(b"host", b"").decode("latin-1"))
        if host in self.hosts:
            return None
        log.warning("request for host %r refused (ALLOWED_HOSTS)", host[:100])
        return _json(400, "this host name is not served here (ALLOWED_HOSTS)", "host_not_allowed")

    def _cross_site_refusal(self, scope, headers: dict[bytes, bytes]) -> Response | None:
        if scope["type"] == "http" and scope.get("method") not in UNSAFE:
            return None
        origin = headers.get(b"origin", b"").decode("latin-1").strip()
        host = headers.get(b"host", b"").decode("latin-1").strip().lower()
        if origin:
            netloc = urlsplit(origin).netloc.lower()
            same = netloc == host or (_host_name(netloc) in self.hosts and "*" not in self.hosts)
        else:
            same = headers.get(b"sec-fetch-site", b"") != b"cross-site"
        if same:
            return None
        log.warning("cross-site %s %s from origin %r refused", scope.get("method", "WS"), scope["path"],
                    origin[:100])
        return _json(403, "a request from another site was refused (cross-site request forgery protection)",
                     "cross_site")

    def _unauthenticated(self, scope, headers: dict[bytes, bytes], resolved: Resolved) -> Response:
        path = scope["path"]
        wants_html = b"text/html" in headers.get(b"accept", b"")
        if scope.get("method") == "GET" and wants_html and self.auth == "local" and not resolved.problem:
            query = scope.get("query_string", b"").decode("latin-1")
            target = path + (f"?{query}" if query else "")
            return RedirectResponse(f"{scope.get('root_path', '')}/login?next={quote(target, safe='')}", 303)
        message = resolved.problem or ("sign in through the login page, or send 'Authorization: Bearer <key>'"
                                       if self.auth != "proxy" else "sign in through the authenticating proxy")
        code = "invalid_api_key" if resolved.problem else "not_signed_in"
        if path.startswith(OPENAI_PREFIX):
            return openai_error(401, message, "invalid_api_key", headers={"WWW-Authenticate": "Bearer"})
        return _json(401, message, code, {"WWW-Authenticate": "Bearer"})


def _json(status: int, detail: str, code: str, headers: dict | None = None) -> Response:
    return JSONResponse({"detail": detail, "code": code}, status_code=status, headers=headers)


async def _answer(response: Response, scope, receive, send) -> None:
    if scope["type"] == "websocket":      # a refused websocket is closed before it opens
        await send({"type": "websocket.close", "code": 1008})
        return
    await response(scope, receive, send)
