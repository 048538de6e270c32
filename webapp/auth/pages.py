"""The routes around the UI that are not Gradio's: sign in and out, a share link's entry, a shared conversation,
and the download of a document's original for the UI (checked like every route; no copy is left in a cache)."""
from __future__ import annotations

import logging
import mimetypes
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from rag import Document, Principal, RagService, ShareNotFound
from webapp.auth.html import conversation_page, gone_page, language, login_page, say
from webapp.auth.identity import SESSION_COOKIE, SHARE_COOKIE, Identity
from webapp.auth.throttle import Throttle

log = logging.getLogger(__name__)


def _safe_next(target: str | None) -> str:
    """Only a path on this site (never //host or a scheme): no open redirect."""
    target = target or "/"
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


def principal_of(request: Request) -> Principal:
    principal = request.state.principal
    assert principal is not None, "the access gate lets no request without a principal reach this route"
    return principal


def build_auth_router(service: RagService, identity: Identity) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    settings, access = service.settings, service.access
    failures = Throttle(per_minute=10)

    def secure(request: Request) -> bool:
        proto = request.headers.get("x-forwarded-proto", "")
        peer = request.client.host if request.client else None
        return request.url.scheme == "https" or (proto == "https" and identity.from_peer_proxy(peer))

    def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
        response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax", secure=secure(request),
                            path="/")

    def lang(request: Request) -> str:
        return language(request.headers.get("accept-language", ""))

    @router.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, next: str = "/") -> Response:
        if settings.auth != "local":
            return RedirectResponse(_safe_next(next), 303)
        return HTMLResponse(login_page(lang(request), _safe_next(next)))

    @router.post("/login", response_class=HTMLResponse)
    def login(request: Request, name: str = Form(""), password: str = Form(""), next: str = Form("/")) -> Response:
        if settings.auth != "local":
            return RedirectResponse("/", 303)
        client = f"{request.client.host if request.client else '?'}|{name.strip().lower()[:64]}"
        if failures.retry_after(client):    # 10 failures a minute per address and name: guessing, not a lockout
            return HTMLResponse(login_page(lang(request), _safe_next(next), say(lang(request), "throttled")), 429)
        who = access.sign_in(name[:64], password[:1024])
        if who is None:
            failures.hit(client)
            return HTMLResponse(login_page(lang(request), _safe_next(next), say(lang(request), "failed")), 401)
        response = RedirectResponse(_safe_next(next), 303)
        max_age = int(settings.session_hours * 3600)
        set_cookie(response, request, SESSION_COOKIE, access.session_token(who.user, max_age), max_age)
        response.delete_cookie(SHARE_COOKIE, path="/")
        return response

    @router.post("/logout")
    def logout(request: Request) -> Response:
        """Sign out, and leave a shared link's view."""
        response = RedirectResponse("/login" if settings.auth == "local" else "/", 303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        response.delete_cookie(SHARE_COOKIE, path="/")
        return response

    @router.get("/s/{token}")
    def open_share(token: str, request: Request) -> Response:
        visitor = access.share_principal(token)
        if visitor is None or visitor.share_space is None:
            return HTMLResponse(gone_page(lang(request)), 404)
        response = RedirectResponse(f"/?space={quote(visitor.share_space)}", 303)
        set_cookie(response, request, SHARE_COOKIE, token, int(settings.session_hours * 3600))
        log.info("shared link %s opened", visitor.share_id)
        return response

    @router.get("/c/{token}", response_class=HTMLResponse)
    def shared_conversation(token: str, request: Request) -> Response:
        try:
            shared = access.shared_conversation(token)
        except ShareNotFound:
            return HTMLResponse(gone_page(lang(request)), 404)
        return HTMLResponse(conversation_page(lang(request), shared),
                            headers={"Cache-Control": "no-store", "X-Robots-Tag": "noindex"})

    @router.get("/ui/original/{space}/{file_name:path}")
    def original(space: str, file_name: str, request: Request) -> Response:
        """A document as it was uploaded, for the UI's download link (the signed-in user's right to the space's
        documents is checked; a shared link's visitor has none)."""
        who = principal_of(request)
        access.ensure(who, space, "documents")
        return original_response(*service.original(space, file_name))

    return router


def original_response(doc: Document, data: bytes) -> Response:
    """A document's original as a download under its own name (never rendered inline, never cached)."""
    return Response(data, media_type=mimetypes.guess_type(doc.name)[0] or "application/octet-stream",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''"
                                                    f"{quote(doc.name.rsplit('/', 1)[-1])}",
                             "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"})
