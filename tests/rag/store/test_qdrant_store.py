"""The store on both in-process engines: Qdrant Edge (the embedded default) and qdrant-client's own in-process
implementation, the same QdrantClient class (and the same qdrant_client.models requests) QDRANT_URL uses for a
server; and the cluster settings a server's collections are made with."""
import pytest

from rag.errors import SpaceError, StoreError
from rag.store.qdrant_store import DocRecord, Store


@pytest.fixture(params=["edge", "qdrant-client"])
def make_store(request, tmp_path):
    made = []

    def factory() -> Store:
        store = Store(str(tmp_path / "q")) if request.param == "edge" else Store(url=":memory:")
        made.append(store)
        return store

    yield factory
    for store in made:
        store.close()


def test_spaces_create_list_delete(make_store):
    store = make_store()
    store.create_space("Юристы", "m", 8)
    store.create_space("demo", "m", 8)
    assert [s.name for s in store.list_spaces()] == ["demo", "Юристы"]
    assert store.create_space("demo", "m", 8)[0].collection == store.get_space("demo").collection  # idempotent
    assert store.create_space("demo", "m", 8)[1] is False
    store.put_document(DocRecord("demo", "d1", "a.txt", "h", 1, 0, 1, "ready", 0.0))
    assert [d.file_name for d in store.list_documents("demo")] == ["a.txt"]
    assert store.delete_space("demo") and not store.delete_space("demo")
    assert [s.name for s in store.list_spaces()] == ["Юристы"]
    assert store.list_documents("demo") == []


def test_a_new_space_under_a_renamed_spaces_old_name_gets_its_own_collection(make_store):
    """schemathesis found it: a renamed space keeps its collection, named after its old name; a space made later
    under that name shared it, and deleting either deleted the other's chunks (a 500 on every later request)."""
    from rag.store.space_rename import rename_space

    store = make_store()
    store.create_space("Legal", "m", 8)
    rename_space(store, "Legal", "Legal-2024")
    fresh, created = store.create_space("Legal", "m", 8)
    kept = store.get_space("Legal-2024")
    assert created and fresh.collection != kept.collection
    assert store.delete_space("Legal") and store.client.collection_exists(kept.collection)


def test_state_survives_a_restart(tmp_path):
    store = Store(str(tmp_path / "q"))
    store.create_space("keep", "m", 8)
    store.close()
    again = Store(str(tmp_path / "q"))
    assert again.get_space("keep").dim == 8
    again.close()


@pytest.mark.parametrize("bad", ["", " ", "a/b", "x" * 65, "tab\tname"])
def test_bad_space_names_are_refused(make_store, bad):
    store = make_store()
    with pytest.raises(SpaceError):
        store.create_space(bad, "m", 8)


def test_data_of_the_old_local_mode_is_refused_with_a_clear_message(tmp_path):
    from qdrant_client import QdrantClient

    old = QdrantClient(path=str(tmp_path / "q"))
    old.create_collection("x", vectors_config={})
    old.close()
    with pytest.raises(StoreError, match="old local mode"):
        Store(str(tmp_path / "q"))


def test_a_servers_collections_get_the_cluster_settings(make_settings):
    from rag.build import build_service

    service = build_service(make_settings(qdrant_url=":memory:", qdrant_shards=3, qdrant_replicas=2),
                            start_llm=False)
    store = service.store
    assert (store.shards, store.replicas, store.is_server) == (3, 2, False)
    store.is_server = True     # as against a cluster: the same create_collection request, with its shards
    info, _ = store.create_space("clustered", "m", 8)
    assert store.client.collection_exists(info.collection)
    service.close()
