"""Readers' feedback on answers (thumbs up or down, an optional comment), kept in the store's registry next to
the spaces, so app replicas share it and it goes with the space."""
from __future__ import annotations

import time
import uuid
from dataclasses import asdict, dataclass, field

from qdrant_client import models

from rag.store.qdrant_store import REGISTRY, Store, _match, _point_id


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
    store.client.upsert(REGISTRY, points=[models.PointStruct(
        id=_point_id("feedback", record.space, record.id), vector={}, payload={"kind": "feedback", **asdict(record)})])


def list_feedback(store: Store, space: str) -> list[FeedbackRecord]:
    records = store._scroll_registry(models.Filter(must=[_match("kind", "feedback"), _match("space", space)]))
    items = [FeedbackRecord(**{k: v for k, v in r.items() if k != "kind"}) for r in records]
    return sorted(items, key=lambda f: f.created)


def delete_space_feedback(store: Store, space: str) -> None:
    store.client.delete(REGISTRY, points_selector=models.FilterSelector(filter=models.Filter(
        must=[_match("kind", "feedback"), _match("space", space)])))


def rename_space_feedback(store: Store, old: str, new: str) -> None:
    for record in list_feedback(store, old):
        record.space = new
        put_feedback(store, record)
    delete_space_feedback(store, old)
