"""Share links kept in the store's registry: a link to a space (a chat-only demo for visitors without an account)
or a read-only snapshot of one conversation. A link carries the share's id signed with the deployment's secret
(rag/access/tokens.py): unguessable, checkable without a lookup, and re-shown to the space's owners from the id.
A share works until it expires or is revoked; deleting its space deletes it."""
from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from rag.store.qdrant_store import Store
from rag.store.records import delete_records, get_record, list_records, put_record


@dataclass
class ShareRecord:
    id: str
    space: str
    by: str
    link: str = "space"                     # space: a live chat-only view; conversation: a snapshot
    created: float = field(default_factory=time.time)
    expires: float | None = None
    revoked: bool = False
    label: str = ""
    turns: list[dict[str, Any]] | None = None   # a conversation's questions, answers and sources

    def usable(self, now: float | None = None) -> bool:
        return not self.revoked and (self.expires is None or (now or time.time()) < self.expires)


class Shares:
    def __init__(self, store: Store) -> None:
        self.store = store

    def _put(self, share: ShareRecord) -> None:
        put_record(self.store, "share", (share.id,), share)

    def create(self, space: str, by: str, link: str = "space", ttl_s: float | None = None, label: str = "",
               turns: list[dict[str, Any]] | None = None) -> ShareRecord:
        share = ShareRecord(id=secrets.token_hex(12), space=space, by=by, link=link, label=label[:100],
                            expires=time.time() + ttl_s if ttl_s else None, turns=turns)
        self._put(share)
        return share

    def get(self, share_id: str) -> ShareRecord | None:
        if not share_id.isalnum():
            return None
        return get_record(self.store, "share", (share_id,), ShareRecord)

    def revoke(self, share_id: str) -> ShareRecord | None:
        share = self.get(share_id)
        if share is not None and not share.revoked:
            share.revoked = True
            self._put(share)
        return share

    def list(self, space: str) -> list[ShareRecord]:
        return sorted(list_records(self.store, "share", ShareRecord, space=space), key=lambda s: s.created)

    def move(self, space: str, new_space: str) -> None:
        for share in self.list(space):
            share.space = new_space
            self._put(share)

    def delete_space(self, space: str) -> None:
        delete_records(self.store, "share", space=space)
