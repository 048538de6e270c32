"""The documents of a space as one ingest batch sees them."""
from __future__ import annotations

import threading

from rag.store.qdrant_store import DocRecord


class Catalog:
    """The space's documents, read once per batch and kept current as the batch writes: a per-file registry scan
    would make a 1,000-file folder quadratic. Also remembers content claimed earlier in the same batch."""

    def __init__(self, docs: list[DocRecord]) -> None:
        self._lock = threading.Lock()
        self.by_hash = {d.content_hash: d for d in docs if d.status == "ready"}
        self.claimed: dict[str, str] = {}

    def duplicate_of(self, content_hash: str, name: str) -> tuple[str, DocRecord | None] | None:
        with self._lock:
            if content_hash in self.by_hash:
                return self.by_hash[content_hash].file_name, self.by_hash[content_hash]
            if content_hash in self.claimed:
                return self.claimed[content_hash], None
            self.claimed[content_hash] = name
            return None

    def release(self, content_hash: str, name: str) -> None:
        """`name` failed: its content is no longer claimed, so a later identical file is indexed (or fails) on its
        own instead of being skipped as a duplicate of nothing."""
        with self._lock:
            if self.claimed.get(content_hash) == name:
                del self.claimed[content_hash]

    def committed(self, record: DocRecord, removed: list[DocRecord]) -> None:
        with self._lock:
            for d in removed:
                self.by_hash.pop(d.content_hash, None)
            self.by_hash[record.content_hash] = record
