"""Signed tokens: a body and an HMAC-SHA256 of it under the deployment's secret, so the server can tell a token it
made from a forged or altered one without storing it. Sessions (`u` tokens) and share links (`s` tokens) use them.

The secret is SESSION_SECRET when set, else one made at random on first start and kept in the store's registry, so
every replica on the same store signs and checks alike."""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from rag.store.qdrant_store import Store
from rag.store.records import get_record, put_record


@dataclass
class SecretRecord:
    value: str


def deployment_secret(store: Store, configured: str = "") -> bytes:
    """The signing secret: the configured one, else the registry's (made once, under the store's lock)."""
    if configured:
        return configured.encode("utf-8")
    with store._lock:
        record = get_record(store, "secret", ("signing",), SecretRecord)
        if record is None:
            record = SecretRecord(value=secrets.token_hex(32))
            put_record(store, "secret", ("signing",), record)
    return record.value.encode("ascii")


def _mac(secret: bytes, kind: str, body: str) -> str:
    digest = hmac.new(secret, f"{kind}:{body}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def sign(secret: bytes, kind: str, body: str) -> str:
    """`body.mac`; `body` must not hold a dot."""
    if "." in body:
        raise ValueError("a token body holds no dot")
    return f"{body}.{_mac(secret, kind, body)}"


def unsign(secret: bytes, kind: str, token: str) -> str | None:
    """The body of a token this secret signed for `kind`, else None (checked in constant time)."""
    body, _, mac = (token or "").rpartition(".")
    if not body or not mac or len(token) > 512:
        return None
    return body if hmac.compare_digest(mac, _mac(secret, kind, body)) else None


def pack(text: str) -> str:
    """Text as a token-safe body part (no dot)."""
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def unpack(part: str) -> str | None:
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
