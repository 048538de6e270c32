"""Originals through fsspec: the same code on a local folder and on a non-local filesystem (fsspec's in-memory one
stands in for s3:// here: no network); a space's folder goes with it, a rename moves it."""
import pytest

from rag.store.originals import Originals


@pytest.mark.parametrize("url", ["local", "memory://qc-originals"])
def test_put_get_rename_delete(tmp_path, url):
    originals = Originals(str(tmp_path / "originals") if url == "local" else url)
    originals.put("Отдел кадров", "doc-1", b"first")
    originals.put("Отдел кадров", "doc-2", "второй".encode())
    assert originals.get("Отдел кадров", "doc-1") == b"first"
    assert originals.doc_ids("Отдел кадров") == {"doc-1", "doc-2"}
    originals.rename_space("Отдел кадров", "HR")
    assert originals.get("Отдел кадров", "doc-1") is None and originals.get("HR", "doc-2") == "второй".encode()
    originals.delete("HR", "doc-1")
    originals.delete("HR", "doc-1")            # twice: no error
    assert originals.doc_ids("HR") == {"doc-2"}
    originals.delete_space("HR")
    assert originals.doc_ids("HR") == set() and originals.get("HR", "doc-2") is None


def test_a_document_id_cannot_leave_its_folder(tmp_path):
    originals = Originals(str(tmp_path))
    for bad in ("", "../x", "a/b", ".hidden"):
        with pytest.raises(ValueError):
            originals.put("s", bad, b"x")
