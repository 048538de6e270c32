"""Who a request comes from, the same way for every surface (the gate, webapp/auth/gate.py, asks once per request):

    Authorization: Bearer <key>   API_KEY (every right, as before) or a user's key (qc_…); a wrong one is refused
                                  (with AUTH=off and no API_KEY, any other key is ignored, as before)
    AUTH=off                      the one local user with every right
    qc_share cookie               a shared link's visitor (chat with that one space); it wins over a session
    AUTH=local, qc_session cookie the signed-in user (signed, HttpOnly, SameSite=Lax; Secure behind HTTPS)
    AUTH=proxy                    the user header (X-Forwarded-User) — only from a peer in TRUSTED_PROXIES
"""
from __future__ import annotations

import hmac
import ipaddress
import logging
from dataclasses import dataclass

from starlette.requests import cookie_parser

from rag import Principal, RagService

log = logging.getLogger(__name__)
SESSION_COOKIE, SHARE_COOKIE = "qc_session", "qc_share"
KEY_PREFIX = "qc_"
LOCAL = Principal(user="local", admin=True, local=True)


class AuthError(Exception):
    """The request has no usable credentials (401)."""
    code = "invalid_api_key"


@dataclass
class Resolved:
    principal: Principal | None
    problem: str = ""          # why a presented credential was refused
    via: str = "none"          # bearer | cookie | share | proxy | none


class Identity:
    def __init__(self, service: RagService) -> None:
        self.service, self.settings = service, service.settings
        self.access = service.access
        self.api_key = self.settings.api_key.get_secret_value().encode()
        self.proxies = self.settings.trusted_proxy_networks
        self.hosts = self.settings.allowed_host_names      # the gate's; gradio's tunnel may add its own
        # AUTH=off with API_KEY: the HTTP APIs need the key, as before issue 13 (webapp/auth/guard.py)
        self.key_only = self.settings.auth == "off" and bool(self.api_key)

    def from_peer_proxy(self, peer: str | None) -> bool:
        try:
            address = ipaddress.ip_address(peer or "")
        except ValueError:
            return False
        return any(address in net for net in self.proxies)

    def resolve(self, scope) -> Resolved:
        headers = dict(scope.get("headers") or [])
        auth = headers.get(b"authorization", b"").decode("latin-1")
        if auth:
            scheme, _, given = auth.partition(" ")
            if scheme.lower() != "bearer" or not given.strip():
                return Resolved(None, "send the API key as 'Authorization: Bearer <key>'")
            return self._bearer(given.strip())
        if self.settings.auth == "off":
            return Resolved(LOCAL)
        cookies = cookie_parser(headers.get(b"cookie", b"").decode("latin-1"))
        if cookies.get(SHARE_COOKIE):
            visitor = self.access.share_principal(cookies[SHARE_COOKIE])
            if visitor is not None:
                return Resolved(visitor, via="share")
        if self.settings.auth == "local" and cookies.get(SESSION_COOKIE):
            return Resolved(self.access.session_principal(cookies[SESSION_COOKIE]), via="cookie")
        if self.settings.auth == "proxy":
            return self._proxied(scope, headers)
        return Resolved(None)

    def _bearer(self, given: str) -> Resolved:
        if self.api_key and hmac.compare_digest(given.encode(), self.api_key):
            return Resolved(LOCAL, via="bearer")
        if self.settings.auth == "off" and not self.api_key and not given.startswith(KEY_PREFIX):
            return Resolved(LOCAL)     # OpenAI clients always send some key ("none", "sk-no-key"): nothing to check
        principal = self.access.key_principal(given)
        return Resolved(principal, "" if principal else "the API key is not valid", via="bearer")

    def _proxied(self, scope, headers: dict[bytes, bytes]) -> Resolved:
        name = headers.get(self.settings.proxy_user_header.lower().encode(), b"").decode("utf-8", "replace")
        peer = (scope.get("client") or (None,))[0]
        if not name.strip():
            return Resolved(None)
        if not self.from_peer_proxy(peer):
            log.warning("%s from %s ignored: not in TRUSTED_PROXIES", self.settings.proxy_user_header, peer)
            return Resolved(None, "the user header is trusted only from TRUSTED_PROXIES")
        return Resolved(self.access.proxy_principal(name.strip()[:64]), via="proxy")

    def by_ref(self, ref: str | None) -> Principal | None:
        """The principal a gradio session stands for (its `username`, set by the gate), fresh from the
        registry: a role, key or link revoked meanwhile counts at once."""
        if ref == "local":
            return LOCAL
        kind, _, rest = (ref or "").partition(":")
        if kind == "user":
            return self.access.principal_of_user(rest)
        if kind == "key":
            return self.access.principal_of_key(rest)
        if kind == "share":
            return self.access.principal_of_share(rest)
        return None

    def may_upload(self, who: Principal) -> bool:
        """Gradio's upload route knows no space yet: it takes files only from those who may add to one."""
        if who.local or who.admin:
            return who.key_id is None or "ingest" in (who.key_scopes or [])
        spaces = [s.name for s in self.service.list_spaces()]
        return any(self.access.allowed(who, s, "ingest") for s in spaces)
