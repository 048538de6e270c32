"""Ingestion on real files in real formats, into a real Qdrant local store with the real embedder."""

import docx
import pytest

from rag.ingest.naming import clean_file_name, looks_like_garbage
from rag.ingest.pipeline import Ingestor
from rag.ingest.readers import UnreadableFile, read_sections
from rag.store.qdrant_store import Store


def chunks_of(store: Store, space: str) -> list[dict]:
    return store.chunks(space)


@pytest.mark.slow
def test_pdf_chunks_carry_page_numbers(ingestor, corpus):
    result = ingestor.ingest_path("t", corpus / "test_summarization.pdf")
    assert result.status == "ok" and result.pages == 12 and result.chunks >= 12
    payloads = chunks_of(ingestor.store, "t")
    pages = {p["page"] for p in payloads}
    assert pages >= set(range(2, 12)), pages
    kafka = [p for p in payloads if "request_id" in p["text"]]
    assert kafka and all(p["file_name"] == "test_summarization.pdf" for p in kafka)
    assert all(p["content_hash"] and p["space"] == "t" and p["doc_id"] for p in payloads)


def test_text_markdown_csv_and_docx(ingestor, corpus, tmp_path):
    document = docx.Document()
    document.add_heading("Бюджет проекта", level=1)
    document.add_paragraph("Бюджет на обучение сотрудников составляет 90 млн руб.")
    document.add_heading("Сроки", level=1)
    document.add_paragraph("Запуск пилота запланирован на 1 октября.")
    path = tmp_path / "план.docx"
    document.save(path)
    for file in (corpus / "protocols" / "protocol_001_audit_committee_meeting.txt", corpus / "overview.md",
                 corpus / "tasks.csv", path):
        result = ingestor.ingest_path("t", file)
        assert result.status == "ok", (file, result.reason)
        assert result.chunks >= 1
    payloads = chunks_of(ingestor.store, "t")
    docx_chunks = [p for p in payloads if p["file_name"] == "план.docx"]
    assert {p["heading"] for p in docx_chunks} == {"Бюджет проекта", "Сроки"}
    csv_text = " ".join(p["text"] for p in payloads if p["file_name"] == "tasks.csv")
    assert "owner: PMO" in csv_text or "PMO" in csv_text


@pytest.mark.slow
def test_chunks_fit_the_embedder(ingestor, corpus, embedder):
    ingestor.ingest_path("t", corpus / "GPU_DEPLOYMENT_GUIDE.md")
    sizes = [embedder.count_tokens(p["text"]) for p in chunks_of(ingestor.store, "t")]
    assert sizes and max(sizes) <= embedder.max_tokens - 16


def test_same_file_twice_is_not_duplicated(ingestor, corpus):
    path = corpus / "protocols" / "protocol_002_incident_response.txt"
    first = ingestor.ingest_path("t", path)
    count = ingestor.store.count_chunks("t")
    second = ingestor.ingest_path("t", path)
    assert first.status == "ok" and second.status == "skipped" and second.reason == "unchanged"
    assert ingestor.store.count_chunks("t") == count
    assert len(ingestor.store.list_documents("t")) == 1


def test_changed_file_replaces_the_old_version(ingestor):
    assert ingestor.ingest_bytes("t", "notes.txt", "Старый срок: 1 марта.".encode()).status == "ok"
    result = ingestor.ingest_bytes("t", "notes.txt", "Новый срок: 15 апреля.".encode())
    assert result.status == "ok" and result.replaced
    docs = ingestor.store.list_documents("t")
    assert len(docs) == 1 and docs[0].status == "ready"
    texts = [p["text"] for p in chunks_of(ingestor.store, "t")]
    assert texts == ["Новый срок: 15 апреля."]


def test_cp1251_text_comes_out_as_russian(ingestor):
    text = "Протокол заседания комитета по аудиту. Выявлены три уязвимости в системе платежей."
    result = ingestor.ingest_bytes("t", "win.txt", text.encode("cp1251"))
    assert result.status == "ok"
    assert chunks_of(ingestor.store, "t")[0]["text"] == text


@pytest.mark.parametrize("name,data,reason", [
    ("empty.txt", b"", "empty file"),
    ("tool.exe", b"MZ\x90\x00", "unsupported file type"),
    ("broken.pdf", b"%PDF-1.4\n1 0 obj <<>> garbage", "PDF"),
    ("fake.docx", b"PK\x03\x04not really a zip", "docx"),
])
def test_bad_files_fail_clearly_and_leave_the_index_alone(ingestor, name, data, reason):
    before = ingestor.store.count_chunks("t")
    result = ingestor.ingest_bytes("t", name, data)
    assert result.status == "failed" and reason.lower() in result.reason.lower()
    assert ingestor.store.count_chunks("t") == before and not ingestor.store.list_documents("t")


def test_pdf_with_boxes_instead_of_cyrillic_is_reported(ingestor, corpus):
    result = ingestor.ingest_path("t", corpus / "sample_project_plan.pdf")
    assert result.status == "failed" and "unreadable" in result.reason
    assert ingestor.store.count_chunks("t") == 0


def test_oversized_file_is_refused(tmp_path, embedder):
    store = Store(str(tmp_path / "q"))
    store.create_space("t", embedder.model_id, embedder.dim)
    small = Ingestor(store, embedder, max_file_mb=0.001)
    result = small.ingest_bytes("t", "big.txt", b"a " * 2000)
    assert result.status == "failed" and "MAX_FILE_MB" in result.reason
    store.close()


def test_file_names_are_made_safe():
    assert clean_file_name("../../etc/passwd") == "etc/passwd"
    assert clean_file_name("Отчёт\x07\x1b 2024.docx") == "Отчёт 2024.docx"
    assert clean_file_name("protocols/p1.txt") == "protocols/p1.txt"


def test_garbage_detector_spares_real_text(corpus):
    assert not looks_like_garbage((corpus / "work_plans" / "plan_019_data_governance.txt").read_text())
    assert looks_like_garbage("nnnn nnnnnnnnnn nnnnnnnn\nnnnn: nnnnnnnnnnn nnnnnnnnn, nnnnnnnn nnnnnn, nnnnnn.")


def test_readers_raise_unreadable_for_unknown_types():
    with pytest.raises(UnreadableFile):
        list(read_sections(b"data", "x.unknown"))
