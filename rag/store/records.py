"""Small records kept in the store's registry beside spaces and documents (users, API keys, readers' feedback):
one point per record, its payload the record's fields plus its `kind`, its id derived from the kind and a key."""
from __future__ import annotations

from dataclasses import asdict
from typing import Any, TypeVar

from qdrant_client import models

from rag.store.qdrant_store import REGISTRY, Store, _match, _point_id

R = TypeVar("R")


def _load(cls: type[R], payload: dict) -> R:
    return cls(**{k: v for k, v in payload.items() if k != "kind"})


def put_record(store: Store, kind: str, key: tuple[str, ...], record: Any) -> None:
    fields = asdict(record)
    if "kind" in fields:
        raise TypeError(f"{type(record).__name__} may not have a field named 'kind': the registry uses it")
    store.client.upsert(REGISTRY, points=[models.PointStruct(
        id=_point_id(kind, *key), vector={}, payload={"kind": kind, **fields})])


def get_record(store: Store, kind: str, key: tuple[str, ...], cls: type[R]) -> R | None:
    points = store.client.retrieve(REGISTRY, ids=[_point_id(kind, *key)], with_payload=True)
    return _load(cls, points[0].payload) if points else None


def list_records(store: Store, kind: str, cls: type[R], **equal: str) -> list[R]:
    """Every record of `kind` whose fields equal `equal`, in the store's order."""
    conditions = [_match("kind", kind), *(_match(field, value) for field, value in equal.items())]
    return [_load(cls, r) for r in store._scroll_registry(models.Filter(must=conditions))]


def delete_record(store: Store, kind: str, key: tuple[str, ...]) -> None:
    store.client.delete(REGISTRY, points_selector=models.PointIdsList(points=[_point_id(kind, *key)]))


def delete_records(store: Store, kind: str, **equal: str) -> None:
    conditions = [_match("kind", kind), *(_match(field, value) for field, value in equal.items())]
    store.client.delete(REGISTRY, points_selector=models.FilterSelector(filter=models.Filter(must=conditions)))
