"""Readers' feedback on answers (thumbs up or down, an optional comment), kept in the store's registry next to
the spaces, so app replicas share it and it goes with the space."""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

from rag.store.qdrant_store import Store
from rag.store.records import delete_records, list_records, put_record


@dataclass
class FeedbackRecord:
    space: str
    rating: int                    # +1 or -1
    question: str
    answer: str
    sources: list[dict] = field(default_factory=list)    # {"n", "file", "page", "cited"}
    comment: str = ""
    language: str = ""
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    created: float = field(default_factory=time.time)


def put_feedback(store: Store, record: FeedbackRecord) -> None:
    put_record(store, "feedback", (record.space, record.id), record)


def list_feedback(store: Store, space: str) -> list[FeedbackRecord]:
    return sorted(list_records(store, "feedback", FeedbackRecord, space=space), key=lambda f: f.created)


def delete_space_feedback(store: Store, space: str) -> None:
    delete_records(store, "feedback", space=space)


def rename_space_feedback(store: Store, old: str, new: str) -> None:
    for record in list_feedback(store, old):
        record.space = new
        put_feedback(store, record)
    delete_space_feedback(store, old)
