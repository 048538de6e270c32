import pytest

from rag.errors import SpaceError, StoreError
from rag.store.qdrant_store import DocRecord, Store


def test_spaces_create_list_delete(tmp_path):
    store = Store(str(tmp_path / "q"))
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
    store.close()


def test_state_survives_a_restart(tmp_path):
    store = Store(str(tmp_path / "q"))
    store.create_space("keep", "m", 8)
    store.close()
    again = Store(str(tmp_path / "q"))
    assert again.get_space("keep").dim == 8
    again.close()


@pytest.mark.parametrize("bad", ["", " ", "a/b", "x" * 65, "tab\tname"])
def test_bad_space_names_are_refused(tmp_path, bad):
    store = Store(str(tmp_path / "q"))
    with pytest.raises(SpaceError):
        store.create_space(bad, "m", 8)
    store.close()


def test_data_of_the_old_local_mode_is_refused_with_a_clear_message(tmp_path):
    from qdrant_client import QdrantClient

    old = QdrantClient(path=str(tmp_path / "q"))
    old.create_collection("x", vectors_config={})
    old.close()
    with pytest.raises(StoreError, match="old local mode"):
        Store(str(tmp_path / "q"))
