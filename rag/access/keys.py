"""API keys: each belongs to a user, may be limited to some spaces and scopes (read, ingest, admin) and may expire.
A key reads `qc_<id>_<secret>`; the registry keeps its id and a SHA-256 of the secret (the secret is 32 random
bytes, so a fast hash is as safe as a slow one and checks in microseconds), and the key is shown once, when it is
made. Checked in constant time."""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field

from rag.access.roles import Scope
from rag.errors import AccessError
from rag.store.qdrant_store import Store
from rag.store.records import get_record, list_records, put_record

PREFIX = "qc_"
SCOPES: tuple[Scope, ...] = ("read", "ingest", "admin")


@dataclass
class KeyRecord:
    id: str
    user: str
    secret_hash: str
    spaces: list[str] | None = None          # None: every space the user may read
    scopes: list[str] = field(default_factory=lambda: ["read"])
    expires: float | None = None             # Unix time
    created: float = field(default_factory=time.time)
    revoked: bool = False
    label: str = ""

    def usable(self, now: float | None = None) -> bool:
        return not self.revoked and (self.expires is None or (now or time.time()) < self.expires)

    def covers(self, space: str) -> bool:
        return self.spaces is None or space in self.spaces


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class Keys:
    def __init__(self, store: Store) -> None:
        self.store = store

    def _put(self, key: KeyRecord) -> None:
        put_record(self.store, "apikey", (key.id,), key)

    def create(self, user: str, spaces: list[str] | None = None, scopes: list[str] | None = None,
               ttl_s: float | None = None, label: str = "") -> tuple[KeyRecord, str]:
        """(the key's record, the key itself: shown this once)."""
        wanted = list(dict.fromkeys(scopes or ["read"]))
        unknown = [s for s in wanted if s not in SCOPES]
        if unknown:
            raise AccessError(f"unknown scope {unknown[0]!r}: one of {', '.join(SCOPES)}")
        if ttl_s is not None and ttl_s <= 0:
            raise AccessError("a key's lifetime must be positive")
        key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
        record = KeyRecord(id=key_id, user=user, secret_hash=_digest(secret), spaces=spaces, scopes=wanted,
                           expires=time.time() + ttl_s if ttl_s else None, label=label[:100])
        self._put(record)
        return record, f"{PREFIX}{key_id}_{secret}"

    def get(self, key_id: str) -> KeyRecord | None:
        return get_record(self.store, "apikey", (key_id,), KeyRecord)

    def verify(self, presented: str) -> KeyRecord | None:
        """The key's record when `presented` is a usable key, else None."""
        if not presented or not presented.startswith(PREFIX) or presented.count("_") < 2:
            return None
        key_id, _, secret = presented[len(PREFIX):].partition("_")
        record = self.get(key_id) if key_id.isalnum() else None
        expected = record.secret_hash if record else _digest("no such key")
        if not hmac.compare_digest(expected, _digest(secret)) or record is None:
            return None
        return record if record.usable() else None

    def revoke(self, key_id: str) -> bool:
        record = self.get(key_id)
        if record is None:
            return False
        record.revoked = True
        self._put(record)
        return True

    def list(self, user: str | None = None) -> list[KeyRecord]:
        found = list_records(self.store, "apikey", KeyRecord, **({"user": user} if user else {}))
        return sorted(found, key=lambda k: k.created)
