"""Every kind of bad input gets a clear per-file error; the rest of the batch continues; the index is unchanged."""
import io
import zipfile

import pytest
from pypdf import PdfReader, PdfWriter

from rag.ingest.pipeline import Ingestor
from rag.store.qdrant_store import Store


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
    """name -> (make the bytes, a word the failure reason must contain)."""
    summary = (corpus / "test_summarization.pdf").read_bytes()
    resources = next(sdists.glob("ocrmypdf-*/tests/resources"))
    return {
        "zero.txt": (lambda: b"", "empty file"),
        "truncated.pdf": (lambda: summary[: len(summary) // 3], "pdf"),
        "invalid.pdf": (lambda: (resources / "invalid.pdf").read_bytes(), "pdf"),
        "locked.pdf": (lambda: encrypted_pdf(corpus), "encrypted"),
        "sample_project_plan.pdf": (lambda: (corpus / "sample_project_plan.pdf").read_bytes(), "unreadable"),
        "bomb.docx": (docx_zip_bomb, "zip bomb"),
        "setup.exe": (lambda: b"MZ\x90\x00" + b"\0" * 100, "unsupported file type"),
        "photo.pdf": (lambda: (resources / "baiona.png").read_bytes(), "png image"),
        "dump.txt": (lambda: b"word " * (10 * 1024 * 1024), "without line breaks"),
    }


BAD_NAMES = ["zero.txt", "truncated.pdf", "invalid.pdf", "locked.pdf", "sample_project_plan.pdf", "bomb.docx",
             "setup.exe", "photo.pdf", "dump.txt"]


@pytest.mark.slow
@pytest.mark.parametrize("bad_name", BAD_NAMES)
def test_bad_input_fails_clearly_and_the_batch_goes_on(ingestor, corpus, sdists, tmp_path, bad_name):
    make, reason = bad_inputs(corpus, sdists)[bad_name]
    bad = tmp_path / bad_name
    bad.write_bytes(make())
    good = corpus / "protocols" / "protocol_001_audit_committee_meeting.txt"
    results = ingestor.ingest_many("t", [("before.txt", good), (bad_name, bad),
                                         ("after.txt", corpus / "protocols" / "protocol_007_hr_committee.txt")])
    by_name = {r.file: r for r in results}
    assert by_name["before.txt"].status == by_name["after.txt"].status == "ok"
    assert by_name[bad_name].status == "failed"
    assert reason in by_name[bad_name].reason.lower(), by_name[bad_name].reason
    assert sorted(d.file_name for d in ingestor.store.list_documents("t")) == ["after.txt", "before.txt"]
    assert {c["file_name"] for c in ingestor.store.chunks("t")} == {"after.txt", "before.txt"}


def test_file_over_the_size_limit(tmp_path, embedder):
    store = Store(str(tmp_path / "q"))
    store.create_space("t", embedder.model_id, embedder.dim)
    path = tmp_path / "big.txt"
    path.write_bytes(b"line of text\n" * 100_000)
    result = Ingestor(store, embedder, max_file_mb=1).ingest_path("t", path)
    assert result.status == "failed" and "limit is 1 MB (MAX_FILE_MB)" in result.reason
    assert store.count_chunks("t") == 0
    store.close()


def test_scan_without_ocr_is_reported_not_indexed(ingestor, sdists):
    from rag.ingest.sections import ReadOptions

    ingestor.parser.read_options = ReadOptions(ocr_enabled=False)   # OCR_ENABLED=off
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
