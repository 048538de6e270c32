"""The embedded store on Qdrant Edge speaks the qdrant-client API the app uses: collections, upsert, filters,
scroll, count, delete, hybrid queries with weighted RRF, persistence and the one-process lock."""
import uuid

import pytest
from qdrant_client import models

from rag.errors import StoreError
from rag.store.edge_client import EdgeClient


def _point(i: int, doc: str, dense: list[float], terms: list[int]) -> models.PointStruct:
    return models.PointStruct(id=str(uuid.uuid5(uuid.NAMESPACE_DNS, f"p{i}")), payload={"doc_id": doc, "i": i},
                              vector={"d": dense, "s": models.SparseVector(indices=terms, values=[1.0] * len(terms))})


@pytest.fixture
def client(tmp_path):
    c = EdgeClient(str(tmp_path / "edge"))
    c.create_collection("c", vectors_config={"d": models.VectorParams(size=3, distance=models.Distance.COSINE)},
                        sparse_vectors_config={"s": models.SparseVectorParams(modifier=models.Modifier.IDF)})
    c.upsert("c", [_point(0, "a", [1, 0, 0], [1, 2]), _point(1, "a", [0.9, 0.1, 0], [2, 3]),
                   _point(2, "b", [0, 1, 0], [3, 4]), _point(3, "b", [0, 0, 1], [7])])
    yield c
    c.close()


def _match(key, value):
    return models.Filter(must=[models.FieldCondition(key=key, match=models.MatchValue(value=value))])


def test_collections_and_points(client):
    assert client.collection_exists("c") and not client.collection_exists("x")
    assert [c.name for c in client.get_collections().collections] == ["c"]
    assert client.count("c").count == 4 and client.count("c", count_filter=_match("doc_id", "b")).count == 2
    info = client.get_collection("c")
    assert info.config.params.sparse_vectors["s"].modifier == models.Modifier.IDF and info.points_count == 4
    points, offset = client.scroll("c", scroll_filter=_match("doc_id", "a"), limit=1)
    assert len(points) == 1 and offset is not None
    rest, end = client.scroll("c", scroll_filter=_match("doc_id", "a"), limit=10, offset=offset)
    assert end is None and {p.payload["i"] for p in points + rest} == {0, 1}
    got = client.retrieve("c", [points[0].id], with_payload=["i"])
    assert got[0].id == points[0].id and set(got[0].payload) == {"i"}


def test_dense_sparse_and_weighted_fusion(client):
    dense = client.query_points("c", query=[1, 0, 0], using="d", limit=2).points
    assert [p.payload["i"] for p in dense] == [0, 1]
    # term 4 is rare (1 of 4 points), term 2 common: IDF ranks point 2 first for [2, 4]
    hits = client.query_points("c", query=models.SparseVector(indices=[2, 4], values=[1.0, 1.0]), using="s").points
    assert hits[0].payload["i"] == 2
    prefetch = [models.Prefetch(query=[0, 0, 1], using="d", limit=1),
                models.Prefetch(query=models.SparseVector(indices=[4], values=[1.0]), using="s", limit=4)]
    by_dense = client.query_points("c", prefetch=prefetch, limit=4,
                                   query=models.RrfQuery(rrf=models.Rrf(k=60, weights=[3.0, 1.0]))).points
    by_sparse = client.query_points("c", prefetch=prefetch, limit=4,
                                    query=models.RrfQuery(rrf=models.Rrf(k=60, weights=[1.0, 3.0]))).points
    assert by_dense[0].payload["i"] == 3 and by_sparse[0].payload["i"] == 2
    filtered = client.query_points("c", query=[1, 0, 0], using="d", query_filter=_match("doc_id", "b")).points
    assert {p.payload["doc_id"] for p in filtered} == {"b"}


def test_delete_persist_and_single_process(tmp_path, client):
    client.delete("c", models.FilterSelector(filter=_match("doc_id", "a")))
    client.delete("c", models.PointIdsList(points=[_point(3, "b", [0, 0, 1], [7]).id]))
    assert client.count("c").count == 1
    with pytest.raises(StoreError, match=r"in use by another process \(pid \d+"):
        EdgeClient(str(tmp_path / "edge")).count("c")  # a second opener is refused while one holds the store
    client.close()
    reopened = EdgeClient(str(tmp_path / "edge"))
    assert reopened.count("c").count == 1
    assert reopened.delete_collection("c") and not reopened.collection_exists("c")
    reopened.close()


def test_payload_only_collection(tmp_path):
    c = EdgeClient(str(tmp_path / "reg"))
    c.create_collection("r", vectors_config={})
    c.upsert("r", [models.PointStruct(id=str(uuid.uuid4()), vector={}, payload={"kind": "space", "name": "Протоколы"})])
    points, _ = c.scroll("r", scroll_filter=_match("kind", "space"), limit=10)
    assert points[0].payload["name"] == "Протоколы"
    c.close()
