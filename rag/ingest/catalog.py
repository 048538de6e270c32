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
        self.by_name: dict[str, list[DocRecord]] = {}
        for d in docs:
            self.by_name.setdefault(d.file_name, []).append(d)
        self.claimed: dict[str, str] = {}

    def duplicate_of(self, content_hash: str, name: str) -> tuple[str, DocRecord | None] | None:
        with self._lock:
            if content_hash in self.by_hash:
                return self.by_hash[content_hash].file_name, self.by_hash[content_hash]
            if content_hash in self.claimed:
                return self.claimed[content_hash], None
            self.claimed[content_hash] = name
            return None

    def others_named(self, name: str, doc_id: str) -> list[DocRecord]:
        with self._lock:
            return [d for d in self.by_name.get(name, []) if d.doc_id != doc_id]

    def committed(self, record: DocRecord, removed: list[DocRecord]) -> None:
        with self._lock:
            gone = {d.doc_id for d in removed}
            self.by_name[record.file_name] = [d for d in self.by_name.get(record.file_name, [])
                                              if d.doc_id not in gone] + [record]
            for d in removed:
                self.by_hash.pop(d.content_hash, None)
            self.by_hash[record.content_hash] = record
