"""Renaming a space: its registry record and its documents' records move to the new name; its chunks stay in the
same collection (a collection is found through the registry, never by name), so nothing is re-embedded."""
from __future__ import annotations

from dataclasses import asdict, replace

from qdrant_client import models

from rag.errors import SpaceExists, SpaceNotFound
from rag.store.qdrant_store import REGISTRY, SpaceInfo, Store, _point_id, validate_space_name


def rename_space(store: Store, old: str, new: str) -> SpaceInfo:
    """The space under its new name; SpaceNotFound, SpaceExists or InvalidSpaceName otherwise."""
    new = validate_space_name(new)
    with store._lock:
        info = store.get_space(old)
        if info is None:
            raise SpaceNotFound(old)
        if new == old:
            return info
        if store.get_space(new) is not None:
            raise SpaceExists(new)
        docs = store.list_documents(old)
        renamed = replace(info, name=new)
        store.client.upsert(REGISTRY, points=[models.PointStruct(
            id=_point_id("space", new), vector={}, payload={"kind": "space", **asdict(renamed)})])
        for doc in docs:
            store.put_document(replace(doc, space=new))
        store.client.delete(REGISTRY, points_selector=models.PointIdsList(
            points=[_point_id("space", old), *(_point_id("doc", old, d.doc_id) for d in docs)]))
        return renamed
