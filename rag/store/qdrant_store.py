"""Qdrant: all state lives here.

* one collection per space (`qc_space_<digest>`), holding chunks (dense + sparse vectors, and the payload layout of
  LlamaIndex's QdrantVectorStore);
* one registry collection (`qc_registry`, no vectors) holding a record per space (display name, embedding model and
  dimension) and per document (name, content hash, pages, chunks, size, status, added time).

Embedded on disk by default (QDRANT_PATH), on Qdrant Edge (rag/edge_client.py: Qdrant's Rust engine in-process);
a Qdrant server or cluster via QDRANT_URL. Both take the same requests, so everything above this module is the same.
"""
from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from llama_index.core.vector_stores.utils import node_to_metadata_dict
from llama_index.vector_stores.qdrant import QdrantVectorStore
from qdrant_client import QdrantClient, models

from rag.errors import InvalidSpaceName, SpaceNotFound, StoreError
from rag.store.disk_room import DiskRoom, write_estimate
from rag.store.edge_client import EdgeClient
from rag.store.server_client import ServerClient

REGISTRY = "qc_registry"
DENSE = "text-dense"
SPARSE = "text-sparse-new"
_NS = uuid.UUID("6f1c1c1e-7d36-4c55-9a43-6a2f5b1f0a11")


class _SerializedClient:
    """The embedded store takes one call at a time (each is a few milliseconds): every call takes one lock. The
    server client goes unwrapped."""

    def __init__(self, client: Any) -> None:
        self._inner = client
        self._lock = threading.RLock()

    def __getattr__(self, name: str):
        attr = getattr(self._inner, name)
        if not callable(attr):
            return attr

        def locked(*args, **kwargs):
            with self._lock:
                return attr(*args, **kwargs)

        return locked


@dataclass
class SpaceInfo:
    name: str
    collection: str
    embed_model: str
    dim: int
    created: float


@dataclass
class DocRecord:
    space: str
    doc_id: str
    file_name: str
    content_hash: str
    size: int
    pages: int
    chunks: int
    status: str          # "indexing" until every chunk is written, then "ready"
    added: float
    file_type: str = ""
    updated: float = 0.0     # heartbeat while indexing; a stale "indexing" record is a crashed ingest
    notes: str = ""          # warnings worth showing (skipped pages, OCR used)
    title: str = ""          # the document's first lines, put before every chunk for embedding and search
    lang: str = ""           # ru or en: the language most of its opening text is in


def _point_id(*parts: str) -> str:
    return str(uuid.uuid5(_NS, "\x1f".join(parts)))


def collection_for(space: str) -> str:
    return "qc_space_" + hashlib.sha1(space.encode("utf-8")).hexdigest()[:16]


def validate_space_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 64:
        raise InvalidSpaceName("a space name must be 1-64 characters")
    if any(ord(ch) < 32 for ch in name) or "/" in name or "\\" in name:
        raise InvalidSpaceName("a space name cannot contain control characters or slashes")
    return name


class Store:
    """Spaces, the document registry and per-space vector stores over one Qdrant client."""

    def __init__(self, path: str = "./data/qdrant", url: str = "", api_key: str = "", shards: int = 1,
                 replicas: int = 1, min_free_mb: float = 0.0) -> None:
        # a QdrantClient (a server, or ":memory:": qdrant-client's in-process engine), or the embedded EdgeClient
        # (the same methods); the in-process ones behind one lock
        self.client: Any
        self.shards, self.replicas = shards, replicas
        self.room: DiskRoom | None = None   # the embedded store's disk, checked before each write of chunks
        if url == ":memory:":
            self.client = _SerializedClient(QdrantClient(location=":memory:"))
            self.location = url
        elif url:   # a server that is down at start: errors name it, and each request tries again
            self.client = ServerClient(url, api_key, REGISTRY)
            self.location = url
        else:
            if (Path(path) / "meta.json").exists():
                raise StoreError(f"{path} holds data of qdrant-client's old local mode, which this version no "
                                 f"longer reads: move it away and index the documents again")
            self.client = _SerializedClient(EdgeClient(path))
            self.location = str(Path(path).resolve())
            self.room = DiskRoom(self.location, min_free_mb)
        self.is_server = bool(url) and url != ":memory:"
        self._lock = threading.RLock()
        if not self.is_server and not self.client.collection_exists(REGISTRY):
            self.client.create_collection(REGISTRY, vectors_config={})

    def close(self) -> None:
        self.client.close()

    # --- spaces -----------------------------------------------------------------------------------
    def create_space(self, name: str, embed_model: str, dim: int) -> tuple[SpaceInfo, bool]:
        """(the space, whether it was created now); an existing space is returned as it is."""
        name = validate_space_name(name)
        with self._lock:
            existing = self.get_space(name)
            if existing:
                return existing, False
            collection = collection_for(name)
            if any(s.collection == collection for s in self.list_spaces()):  # a renamed space's: never shared
                collection = f"{collection}_{uuid.uuid4().hex[:8]}"
            info = SpaceInfo(name=name, collection=collection, embed_model=embed_model, dim=dim, created=time.time())
            if not self.client.collection_exists(info.collection):
                self._create_collection(info.collection, dim)
            self.client.upsert(REGISTRY, points=[models.PointStruct(
                id=_point_id("space", name), vector={}, payload={"kind": "space", **asdict(info)})])
            return info, True

    def get_space(self, name: str) -> SpaceInfo | None:
        points = self.client.retrieve(REGISTRY, ids=[_point_id("space", name)], with_payload=True)
        if not points:
            return None
        payload = {k: v for k, v in points[0].payload.items() if k != "kind"}
        return SpaceInfo(**payload)

    def list_spaces(self) -> list[SpaceInfo]:
        records = self._scroll_registry(models.Filter(must=[_match("kind", "space")]))
        spaces = [SpaceInfo(**{k: v for k, v in r.items() if k != "kind"}) for r in records]
        return sorted(spaces, key=lambda s: s.name.lower())

    def delete_space(self, name: str) -> bool:
        with self._lock:
            info = self.get_space(name)
            if info is None:
                return False
            self.client.delete(REGISTRY, points_selector=models.FilterSelector(filter=models.Filter(
                must=[_match("kind", "document"), _match("space", name)])))
            self.client.delete(REGISTRY, points_selector=models.PointIdsList(points=[_point_id("space", name)]))
            if self.client.collection_exists(info.collection):
                self.client.delete_collection(info.collection)
            return True

    def add_chunks(self, collection: str, nodes: list, sparse_vectors: list[models.SparseVector]) -> None:
        """Write chunks (LlamaIndex nodes carrying their dense embedding) with their sparse vectors, in the payload
        layout LlamaIndex's QdrantVectorStore reads and writes. An embedded store first checks its disk's room."""
        if self.room is not None and nodes:
            self.room.ensure(write_estimate(nodes, len(nodes[0].get_embedding())))
        self.client.upload_points(collection, points=chunk_points(nodes, sparse_vectors), batch_size=256, wait=True)

    def vector_store(self, collection: str) -> QdrantVectorStore:
        """LlamaIndex's QdrantVectorStore over a chunk collection, for what it serves here: deleting a document's
        nodes. Search does not go through it: it runs hybrid search as two searches fused in Python, with no
        weighted RRF, and on the dev set that ranks worse (python -m bench.vector_store: hit@5 0.865 against
        0.973, MRR 0.690 against 0.856) while fetching twice the points. Writes do not either: its sparse encoder
        sees only a node's text, and our BM25 vectors also carry the file name, title and heading."""
        return QdrantVectorStore(collection_name=collection, client=self.client)

    def collection_of(self, name: str) -> str:
        info = self.get_space(name)
        if info is None:
            raise SpaceNotFound(name)
        return info.collection

    def count_chunks(self, name: str) -> int:
        info = self.get_space(name)
        return self.client.count(info.collection, exact=True).count if info else 0

    def chunks(self, name: str, limit: int = 100_000) -> list[dict]:
        """Chunk payloads of a space, each with its text under "text" (LlamaIndex keeps it in _node_content)."""
        info = self.get_space(name)
        if info is None:
            return []
        out: list[dict] = []
        offset = None
        while len(out) < limit:
            points, offset = self.client.scroll(info.collection, limit=1000, offset=offset, with_payload=True)
            for p in points:
                payload = dict(p.payload)
                node = json.loads(payload.pop("_node_content", "{}") or "{}")
                payload.setdefault("text", node.get("text", ""))
                out.append(payload)
            if offset is None:
                break
        return out

    # --- documents --------------------------------------------------------------------------------
    def put_document(self, record: DocRecord) -> None:
        if self.room is not None:
            self.room.ensure(64 * 1024)
        self.client.upsert(REGISTRY, points=[models.PointStruct(
            id=_point_id("doc", record.space, record.doc_id), vector={},
            payload={"kind": "document", **asdict(record)})])

    def documents_named(self, space: str, file_name: str) -> list[DocRecord]:
        """The records (any status) of one file name in a space."""
        return self._documents([_match("kind", "document"), _match("space", space), _match("file_name", file_name)])

    def list_documents(self, space: str) -> list[DocRecord]:
        """Every document record of the space, being indexed or ready, by name."""
        return self._documents([_match("kind", "document"), _match("space", space)])

    def ready_documents(self, space: str) -> list[DocRecord]:
        """The space's complete documents, by name (the store filters them)."""
        return self._documents([_match("kind", "document"), _match("space", space), _match("status", "ready")])

    def _documents(self, conditions: list) -> list[DocRecord]:
        records = self._scroll_registry(models.Filter(must=conditions))
        docs = [DocRecord(**{k: v for k, v in r.items() if k != "kind"}) for r in records]
        return sorted(docs, key=lambda d: d.file_name.lower())

    def find_document(self, space: str, *, file_name: str | None = None,
                      content_hash: str | None = None) -> list[DocRecord]:
        return [d for d in self.list_documents(space)
                if (file_name is None or d.file_name == file_name)
                and (content_hash is None or d.content_hash == content_hash)]

    def delete_document(self, space: str, doc_id: str) -> None:
        """Remove a document's chunks (LlamaIndex's QdrantVectorStore deletes by the node's document id), then its
        registry record."""
        info = self.get_space(space)
        if info is not None:
            self.vector_store(info.collection).delete(ref_doc_id=doc_id)
        self.client.delete(REGISTRY, points_selector=models.PointIdsList(points=[_point_id("doc", space, doc_id)]))

    def space_language(self, space: str) -> str:
        """The language most of a space's ready documents are in ("" when none says)."""
        counts: dict[str, int] = {}
        for doc in self.ready_documents(space):
            if doc.lang:
                counts[doc.lang] = counts.get(doc.lang, 0) + 1
        return max(counts, key=lambda lang: counts[lang]) if counts else ""

    def ready_doc_ids(self, space: str, doc_ids: set[str]) -> set[str]:
        """Which of these documents are complete: chunks of a document still being written stay invisible."""
        if not doc_ids:
            return set()
        points = self.client.retrieve(REGISTRY, ids=[_point_id("doc", space, d) for d in doc_ids],
                                      with_payload=["doc_id", "status"])
        return {p.payload["doc_id"] for p in points if p.payload.get("status") == "ready"}

    def stale_documents(self, older_than_s: float) -> list[DocRecord]:
        """Documents left "indexing" by a process that died (no heartbeat for `older_than_s`)."""
        records = self._scroll_registry(models.Filter(must=[_match("kind", "document"), _match("status", "indexing")]))
        cutoff = time.time() - older_than_s
        docs = [DocRecord(**{k: v for k, v in r.items() if k != "kind"}) for r in records]
        return [d for d in docs if max(d.updated, d.added) < cutoff]

    def orphan_collections(self) -> list[str]:
        """Chunk collections no space points at: a re-index killed before its switch left them."""
        used = {info.collection for info in self.list_spaces()}
        return [c.name for c in self.client.get_collections().collections
                if c.name.startswith("qc_space_") and c.name not in used]

    def new_collection(self, name: str, dim: int) -> str:
        """A fresh, empty chunk collection for a space (used by re-indexing before the switch)."""
        collection = f"{collection_for(name)}_{uuid.uuid4().hex[:8]}"
        self._create_collection(collection, dim)
        return collection

    def switch_collection(self, name: str, collection: str, embed_model: str, dim: int) -> None:
        """Point a space at another collection (after a re-index) and drop the old one."""
        with self._lock:
            info = self.get_space(name)
            if info is None:
                raise SpaceNotFound(name)
            old = info.collection
            info.collection, info.embed_model, info.dim = collection, embed_model, dim
            self.client.upsert(REGISTRY, points=[models.PointStruct(
                id=_point_id("space", name), vector={}, payload={"kind": "space", **asdict(info)})])
            if old != collection and self.client.collection_exists(old):
                self.client.delete_collection(old)

    def _create_collection(self, collection: str, dim: int) -> None:
        cluster = {"shard_number": self.shards, "replication_factor": self.replicas} if self.is_server else {}
        self.client.create_collection(
            collection,
            vectors_config={DENSE: models.VectorParams(size=dim, distance=models.Distance.COSINE)},
            sparse_vectors_config={SPARSE: models.SparseVectorParams(modifier=models.Modifier.IDF)},
            **cluster,
        )
        if self.is_server:  # local mode has no payload indexes (and warns)
            self.client.create_payload_index(collection, "doc_id", models.PayloadSchemaType.KEYWORD)

    def _scroll_registry(self, flt: models.Filter) -> list[dict]:
        out: list[dict] = []
        offset = None
        while True:
            points, offset = self.client.scroll(REGISTRY, scroll_filter=flt, limit=1000, offset=offset,
                                                with_payload=True)
            out.extend(p.payload for p in points)
            if offset is None:
                return out


def chunk_points(nodes: list, sparse_vectors: list[models.SparseVector]) -> list[models.PointStruct]:
    return [models.PointStruct(id=node.node_id, vector={DENSE: node.get_embedding(), SPARSE: sparse},
                               payload=node_to_metadata_dict(node, remove_text=False, flat_metadata=False))
            for node, sparse in zip(nodes, sparse_vectors, strict=False)]


def _match(key: str, value: str) -> models.FieldCondition:
    return models.FieldCondition(key=key, match=models.MatchValue(value=value))
