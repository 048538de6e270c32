"""Embedded Qdrant on Qdrant Edge: the part of the `QdrantClient` API this app (and LlamaIndex's QdrantVectorStore)
uses, served by `qdrant-edge-py`, Qdrant's own Rust engine running in-process.

qdrant-client's local mode (`QdrantClient(path=...)`) is plain Python: its sparse search walks every point in a
Python loop (about a second at 20k chunks) and payload filters run in Python. Qdrant Edge runs the same storage,
sparse IDF, prefetch + fusion and filters as the server, so the embedded default searches in milliseconds.

Each collection is one Edge shard in its own folder under `path`. Requests and results use qdrant-client's
`models` types, so the store and LlamaIndex cannot tell this client from a server one.
"""
from __future__ import annotations

import json
import shutil
import threading
import uuid
from collections.abc import Iterable
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import qdrant_edge as qe
from qdrant_client import models
from qdrant_client.http.models import QueryResponse

from rag.store.folder_lock import FolderLock

_META = "collection.json"


def _filter(flt: models.Filter | None) -> qe.Filter | None:
    if flt is None:
        return None

    def conditions(items) -> list | None:
        if items is None:
            return None
        items = items if isinstance(items, list) else [items]
        return [_condition(c) for c in items]

    return qe.Filter(must=conditions(flt.must), should=conditions(flt.should), must_not=conditions(flt.must_not))


def _condition(cond: Any):
    if isinstance(cond, models.Filter):
        return _filter(cond)
    if isinstance(cond, models.HasIdCondition):
        return qe.HasIdCondition(set(_point_id(i) for i in cond.has_id))
    if isinstance(cond, models.FieldCondition):
        match = cond.match
        if isinstance(match, models.MatchValue):
            return qe.FieldCondition(key=cond.key, match=qe.MatchValue(match.value))
        if isinstance(match, models.MatchAny):
            return qe.FieldCondition(key=cond.key, match=qe.MatchAny(cast(list[str], list(match.any))))
        if isinstance(match, models.MatchExcept):
            return qe.FieldCondition(key=cond.key, match=qe.MatchExcept(cast(list[str], list(match.except_))))
    raise NotImplementedError(f"filter condition not supported by the embedded store: {cond!r}")


def _point_id(point_id: Any):
    if isinstance(point_id, str):
        return uuid.UUID(point_id)
    return point_id


def _out_id(point_id: Any):
    return str(point_id) if isinstance(point_id, uuid.UUID) else point_id


def _vector(vector: Any):
    if isinstance(vector, dict):
        return {name: _vector(v) for name, v in vector.items()}
    if isinstance(vector, models.SparseVector):
        return qe.SparseVector(list(vector.indices), list(vector.values))
    return list(vector)


def _vector_out(vector: Any):
    if isinstance(vector, dict):
        return {name: _vector_out(v) for name, v in vector.items()}
    if isinstance(vector, qe.SparseVector):
        return models.SparseVector(indices=list(vector.indices), values=list(vector.values))
    return vector


def _with(value: Any) -> Any:
    return value if isinstance(value, (bool, list)) or value is None else bool(value)


def _query(query: Any, using: str | None):
    """A qdrant-client query (vector, SparseVector, NearestQuery, FusionQuery, RrfQuery) as an Edge query."""
    if isinstance(query, models.NearestQuery):
        query = query.nearest
    if isinstance(query, models.FusionQuery):
        return qe.Fusion.Rrf(k=60) if query.fusion == models.Fusion.RRF else qe.Fusion.Dbsf()
    if isinstance(query, models.RrfQuery):
        return qe.Fusion.Rrf(k=query.rrf.k or 60, weights=query.rrf.weights)
    if isinstance(query, models.SparseVector):
        return qe.Query.Nearest(_vector(query), using=using)
    if query is None:
        return None
    return qe.Query.Nearest(list(query), using=using)


def _prefetch(p: models.Prefetch) -> qe.Prefetch:
    nested = p.prefetch if isinstance(p.prefetch, list) else ([p.prefetch] if p.prefetch else None)
    return qe.Prefetch(limit=p.limit or 10, query=_query(p.query, p.using),
                       prefetches=[_prefetch(n) for n in nested] if nested else None, filter=_filter(p.filter),
                       score_threshold=p.score_threshold)


def _scored(points: Iterable) -> list[models.ScoredPoint]:
    return [models.ScoredPoint(id=_out_id(p.id), version=p.version, score=p.score, payload=p.payload,
                               vector=_vector_out(p.vector) if p.vector else None) for p in points]


def _record(p) -> models.Record:
    return models.Record(id=_out_id(p.id), payload=p.payload, vector=_vector_out(p.vector) if p.vector else None)


class EdgeClient:
    """QdrantClient-compatible access to Edge shards in `path` (one folder per collection)."""

    def __init__(self, path: str) -> None:
        self.root = Path(path)
        self.root.mkdir(parents=True, exist_ok=True)
        self._folder_lock = FolderLock(self.root)
        self._folder_lock.acquire()            # one process per folder: a clear error naming the other one
        self._shards: dict[str, qe.EdgeShard] = {}
        self._lock = threading.RLock()

    # --- collections ------------------------------------------------------------------------------
    def _dir(self, name: str) -> Path:
        return self.root / name

    def collection_exists(self, collection_name: str) -> bool:
        return (self._dir(collection_name) / _META).exists()

    def create_collection(self, collection_name: str, vectors_config: dict | None = None,
                          sparse_vectors_config: dict | None = None, **_: Any) -> bool:
        dense = {name: qe.EdgeVectorParams(size=p.size, distance=qe.Distance.Cosine if p.distance ==
                                           models.Distance.COSINE else qe.Distance.Dot)
                 for name, p in (vectors_config or {}).items()}
        sparse = {name: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf if p.modifier == models.Modifier.IDF
                                                  else None)
                  for name, p in (sparse_vectors_config or {}).items()}
        meta = {"vectors": {n: {"size": p.size, "distance": p.distance.value}
                            for n, p in (vectors_config or {}).items()},
                "sparse_vectors": {n: {"modifier": p.modifier.value if p.modifier else None}
                                   for n, p in (sparse_vectors_config or {}).items()}}
        if not dense:  # a shard needs some vector; payload-only collections get an unused 1-d one
            dense = {"_": qe.EdgeVectorParams(size=1, distance=qe.Distance.Dot)}
        with self._lock:
            folder = self._dir(collection_name)
            shutil.rmtree(folder, ignore_errors=True)
            self._shards[collection_name] = qe.EdgeShard.create(
                str(folder / "shard"), qe.EdgeConfig(vectors=dense, sparse_vectors=sparse or None))
            (folder / _META).write_text(json.dumps(meta))
        return True

    def get_collections(self) -> SimpleNamespace:
        names = sorted(p.parent.name for p in self.root.glob(f"*/{_META}"))
        return SimpleNamespace(collections=[SimpleNamespace(name=n) for n in names])

    def get_collection(self, collection_name: str) -> SimpleNamespace:
        meta = json.loads((self._dir(collection_name) / _META).read_text())
        vectors = {n: models.VectorParams(size=v["size"], distance=models.Distance(v["distance"]))
                   for n, v in meta["vectors"].items()}
        sparse = {n: models.SparseVectorParams(modifier=models.Modifier(v["modifier"]) if v["modifier"] else None)
                  for n, v in meta["sparse_vectors"].items()}
        shard = self._shard(collection_name)
        params = SimpleNamespace(vectors=vectors, sparse_vectors=sparse)
        return SimpleNamespace(config=SimpleNamespace(params=params), points_count=shard.info().points_count)

    def delete_collection(self, collection_name: str) -> bool:
        with self._lock:
            shard = self._shards.pop(collection_name, None)
            if shard is not None:
                shard.close()
            existed = self._dir(collection_name).exists()
            shutil.rmtree(self._dir(collection_name), ignore_errors=True)
            return existed

    def _shard(self, name: str) -> qe.EdgeShard:
        shard = self._shards.get(name)
        if shard is None:
            with self._lock:
                shard = self._shards.get(name)
                if shard is None:
                    if not self.collection_exists(name):
                        raise ValueError(f"Collection {name} not found")
                    shard = self._shards[name] = qe.EdgeShard.load(str(self._dir(name) / "shard"))
        return shard

    def create_payload_index(self, *_: Any, **__: Any) -> None:
        return None

    # --- points -----------------------------------------------------------------------------------
    def upsert(self, collection_name: str, points: list, wait: bool = True, **_: Any) -> None:
        edge_points = [qe.Point(id=_point_id(p.id), vector=_vector(p.vector or {}), payload=p.payload or {})
                       for p in points]
        if edge_points:
            self._shard(collection_name).update(qe.UpdateOperation.upsert_points(edge_points))

    def upload_points(self, collection_name: str, points: Iterable, batch_size: int = 256, **_: Any) -> None:
        batch: list = []
        for point in points:
            batch.append(point)
            if len(batch) >= batch_size:
                self.upsert(collection_name, batch)
                batch = []
        self.upsert(collection_name, batch)

    def delete(self, collection_name: str, points_selector: Any, **_: Any) -> None:
        shard = self._shard(collection_name)
        if isinstance(points_selector, models.FilterSelector):
            points_selector = points_selector.filter
        if isinstance(points_selector, models.Filter):
            shard.update(qe.UpdateOperation.delete_points_by_filter(cast(qe.Filter, _filter(points_selector))))
            return
        ids = points_selector.points if isinstance(points_selector, models.PointIdsList) else points_selector
        shard.update(qe.UpdateOperation.delete_points([_point_id(i) for i in ids]))

    def retrieve(self, collection_name: str, ids: list, with_payload: Any = True, with_vectors: Any = False,
                 **_: Any) -> list[models.Record]:
        records = self._shard(collection_name).retrieve([_point_id(i) for i in ids], _with(with_payload),
                                                        _with(with_vectors))
        return [_record(r) for r in records]

    def scroll(self, collection_name: str, scroll_filter: models.Filter | None = None, limit: int = 10,
               offset: Any = None, with_payload: Any = True, with_vectors: Any = False, **_: Any):
        records, next_offset = self._shard(collection_name).scroll(qe.ScrollRequest(
            offset=_point_id(offset) if offset is not None else None, limit=limit, filter=_filter(scroll_filter),
            with_payload=_with(with_payload), with_vector=_with(with_vectors)))
        return [_record(r) for r in records], _out_id(next_offset) if next_offset is not None else None

    def count(self, collection_name: str, count_filter: models.Filter | None = None, exact: bool = True, **_: Any):
        n = self._shard(collection_name).count(qe.CountRequest(exact=exact, filter=_filter(count_filter)))
        return models.CountResult(count=n)

    def _request(self, query: Any = None, using: str | None = None, prefetch: Any = None, limit: int = 10,
                 query_filter: models.Filter | None = None, with_payload: Any = True, with_vectors: Any = False,
                 score_threshold: float | None = None, offset: int | None = None) -> qe.QueryRequest:
        prefetch = prefetch if isinstance(prefetch, list) else ([prefetch] if prefetch else None)
        return qe.QueryRequest(limit=limit, offset=offset, query=_query(query, using),
                               prefetches=[_prefetch(p) for p in prefetch] if prefetch else None,
                               filter=_filter(query_filter), with_payload=_with(with_payload),
                               with_vector=_with(with_vectors), score_threshold=score_threshold)

    def query_points(self, collection_name: str, query: Any = None, using: str | None = None, prefetch: Any = None,
                     limit: int = 10, query_filter: models.Filter | None = None, with_payload: Any = True,
                     with_vectors: Any = False, score_threshold: float | None = None, offset: int | None = None,
                     **_: Any) -> QueryResponse:
        request = self._request(query, using, prefetch, limit, query_filter, with_payload, with_vectors,
                                score_threshold, offset)
        return QueryResponse(points=_scored(self._shard(collection_name).query(request)))

    def query_batch_points(self, collection_name: str, requests: list[models.QueryRequest], **_: Any):
        batch = qe.QueryBatchRequest([self._request(r.query, r.using, r.prefetch, r.limit or 10, r.filter,
                                                    r.with_payload, r.with_vector, r.score_threshold, r.offset)
                                      for r in requests])
        return [QueryResponse(points=_scored(points))
                for points in self._shard(collection_name).query_batch(batch)]

    def close(self) -> None:
        with self._lock:
            for shard in self._shards.values():
                shard.flush()
                shard.close()
            self._shards.clear()
            self._folder_lock.release()
