"""Ingestion cases a probe of the app found broken (issue 15), each on a real store and the packaged embedder: a
huge section heading is not pasted in front of every chunk, a file that fails does not make a later identical file
"skipped as duplicate", two simultaneous uploads of one name leave exactly one version, the indexing heartbeat is
saved, and a space name with stray spaces is the space."""
import threading
import time

import pytest

from rag import build_service
from tests.support.hostile_files import nested_mail
from tests.support.paths import PROTOCOLS

PROTOCOL = PROTOCOLS / "protocol_001_audit_committee_meeting.txt"


@pytest.fixture
def service(make_settings):
    made = build_service(make_settings(), start_llm=False)
    yield made
    made.close()


def _payloads(service, space: str) -> list[dict]:
    collection = service.store.collection_of(space)
    points, _ = service.store.client.scroll(collection, limit=10_000, with_payload=True)
    return [p.payload for p in points]


def test_a_huge_heading_is_capped_in_every_chunk(service, tmp_path):
    from rag.ingest.chunking import MAX_HEADING_CHARS, embed_text

    heading = "Раздел " + "очень длинный заголовок " * 420            # ~10 KB
    md = tmp_path / "long-heading.md"
    md.write_text(f"# {heading}\n\n" + PROTOCOL.read_text(encoding="utf-8") * 4, encoding="utf-8")
    result = service.ingest_files("s", [(md.name, md)])[0]
    assert result.status == "ok" and result.chunks >= 3
    headings = [p.get("heading", "") for p in _payloads(service, "s")]
    assert headings and max(map(len, headings)) <= MAX_HEADING_CHARS
    assert len(embed_text("текст", heading)) <= MAX_HEADING_CHARS + len("текст") + 1


def test_a_failed_file_does_not_make_its_twin_a_duplicate(service, tmp_path):
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 500)
    twin = tmp_path / "copy-of-broken.pdf"
    twin.write_bytes(broken.read_bytes())
    results = service.ingest_files("s", [(broken.name, broken), (twin.name, twin)])
    assert [r.status for r in results] == ["failed", "failed"], [(r.status, r.reason) for r in results]
    assert "duplicate" not in results[1].reason_code


def test_two_uploads_of_one_name_leave_exactly_one_version(service, tmp_path):
    one, two = tmp_path / "a", tmp_path / "b"
    one.mkdir(), two.mkdir()
    (one / "same.txt").write_text(PROTOCOL.read_text(encoding="utf-8"), encoding="utf-8")
    (two / "same.txt").write_text((PROTOCOLS / "protocol_004_board_meeting.txt").read_text(encoding="utf-8"),
                                  encoding="utf-8")
    for trial in range(3):
        space = f"race-{trial}"
        service.create_space(space)
        threads = [threading.Thread(target=service.ingest_files, args=(space, [("same.txt", d / "same.txt")]))
                   for d in (one, two)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        docs = [d for d in service.store.list_documents(space) if d.file_name == "same.txt"]
        assert len(docs) == 1 and docs[0].status == "ready", (trial, docs)
        live = {d.doc_id for d in docs}
        chunk_docs = {p.get("doc_id") for p in _payloads(service, space)}
        assert chunk_docs == live, (trial, chunk_docs, live)        # no chunk of the losing version answers


def test_the_indexing_heartbeat_is_saved(service, tmp_path):
    big = tmp_path / "big.txt"
    big.write_text("\n\n".join(p.read_text(encoding="utf-8") for p in sorted(PROTOCOLS.glob("*.txt"))[:12]),
                   encoding="utf-8")
    service.ingestor.heartbeat_s = 0.0          # save on every batch (the default: every few seconds)
    seen: list[float] = []

    def progress(event) -> None:
        if type(event).__name__ == "ChunksWritten":
            seen.extend(d.updated for d in service.store.list_documents("s") if d.status == "indexing")

    assert service.ingest_files("s", [(big.name, big)], progress)[0].status == "ok"
    assert seen and max(seen) > 0, seen


def test_a_space_name_with_stray_spaces_is_that_space(service):
    results = service.ingest_files("  s2  ", [("p1.txt", PROTOCOL)])
    assert [r.status for r in results] == ["ok"]
    assert [s.name for s in service.list_spaces()] == ["s2"]
    assert [d.name for d in service.documents("s2")] == ["p1.txt"]


@pytest.mark.parametrize("forwarded", [False, True], ids=["attached", "forwarded"])
def test_mails_nested_in_mails_are_read_a_few_levels_deep(service, tmp_path, forwarded):
    from rag.ingest.readers import read_sections
    from rag.ingest.web_mail import MAX_ATTACHMENT_DEPTH

    data = nested_mail(400, forwarded)
    sections = list(read_sections(data, "deep.eml"))
    assert len([s for s in sections if s.text.strip()]) == MAX_ATTACHMENT_DEPTH + 1      # not 401
    mail = tmp_path / "deep.eml"
    mail.write_bytes(data)
    result = service.ingest_files("s", [(mail.name, mail)])[0]
    assert result.status == "ok" and any("nested deeper" in w for w in result.warnings), result


def test_mails_nested_past_what_the_mail_parser_holds_are_refused_clearly(service, tmp_path):
    mail = tmp_path / "deeper.eml"
    mail.write_bytes(nested_mail(1500, forwarded=True))
    result = service.ingest_files("s", [(mail.name, mail)])[0]
    assert result.status == "failed" and "too deep" in result.reason, result


def test_a_docx_whose_xml_expands_to_a_hundred_megabytes_is_refused_in_little_memory(service, tmp_path):
    import resource
    import zipfile

    import docx

    plain = tmp_path / "plain.docx"
    document = docx.Document()
    document.add_paragraph("Протокол заседания.")
    document.save(plain)
    bomb = tmp_path / "empty-paragraphs.docx"
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "word/document.xml":
                head, _, tail = data.decode("utf-8").partition("<w:body>")
                data = (head + "<w:body>" + "<w:p/>" * 17_000_000 + tail).encode("utf-8")    # ~100 MB
            out.writestr(item, data)
    assert bomb.stat().st_size < 2 * 1024 * 1024
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss           # KiB: the peak so far
    result = service.ingest_files("s", [(bomb.name, bomb)])[0]
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert result.status == "failed" and "document.xml expands to" in result.reason, result
    assert grown_mb < 400, f"peak memory grew by {grown_mb:.0f} MB"


def test_a_pdf_with_a_megabyte_of_text_on_one_line_costs_one_page(service, tmp_path):
    """pdfplumber places every character: this page took 324 s, 2.7 GB and 2,101 chunks. Now a page with that many
    drawing commands is read by pypdf, and no page yields more than MAX_PAGE_CHARS, each said in a warning."""
    import resource

    from rag.ingest.pdf import MAX_PAGE_CHARS
    from tests.support.pdf_builder import one_line_pdf

    pdf = tmp_path / "one-line.pdf"
    pdf.write_bytes(one_line_pdf(1_000_000))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = service.ingest_files("s", [(pdf.name, pdf)])[0]
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert result.status == "ok", result
    assert any("without layout" in w for w in result.warnings) and \
        any(f"only the first {MAX_PAGE_CHARS:,}" in w for w in result.warnings), result.warnings
    assert result.chunks <= MAX_PAGE_CHARS // 300, result.chunks              # about 100, not 2,101
    assert grown_mb < 400, f"peak memory grew by {grown_mb:.0f} MB"


def test_an_ordinary_pdf_page_keeps_its_layout_reading(tmp_path):
    from rag.ingest.pdf import read_pdf
    from tests.support.pdf_builder import one_line_pdf

    sections = list(read_pdf(one_line_pdf(3_000), "short.pdf"))
    assert len(sections) == 1 and len(sections[0].text) == 3_000 and not sections[0].extra


@pytest.mark.parametrize("beats", [True, False], ids=["heartbeat", "no-heartbeat-control"])
def test_a_replica_starting_mid_ingest_keeps_an_ingest_whose_heartbeat_is_fresh(service, tmp_path, beats,
                                                                                 monkeypatch):
    """What a replica runs at start on a shared store (recover with STALE_INGEST_S, here 15 s), run every 0.2 s from
    another thread while a long ingest goes on (batches of 4 chunks, each held 2 s: it outlasts 15 s on any
    machine, and no batch takes that long on a busy one): with the heartbeat saved the ingest survives; without it (the
    control) it is removed as a crashed one. Two app processes on one store need a Qdrant server (the embedded store
    takes one process), so the second replica's start-up runs here in-process, on the same store."""
    big = tmp_path / "long.txt"
    big.write_text("\n\n".join(p.read_text(encoding="utf-8") for p in sorted(PROTOCOLS.glob("*.txt"))[:40]),
                   encoding="utf-8")
    service.ingestor.heartbeat_s = 0.0 if beats else 1e9
    monkeypatch.setattr("rag.ingest.parser.BATCH_CHUNKS", 4)   # the heartbeat is saved once per batch
    removed: list[str] = []
    done = threading.Event()

    def replica_starts() -> None:
        while not done.wait(0.2):
            removed.extend(service.recover(older_than_s=15.0))

    def slow_batches(event) -> None:
        if type(event).__name__ == "ChunksWritten":
            time.sleep(2.0)

    replica = threading.Thread(target=replica_starts)
    replica.start()
    try:
        result = service.ingest_files("s", [(big.name, big)], slow_batches)[0]
    finally:
        done.set()
        replica.join()
    if beats:
        assert not removed and result.status == "ok" and big.name in [d.name for d in service.documents("s")]
        assert result.seconds > 15, "the ingest must outlast STALE_INGEST_S for the test to mean anything"
    else:
        assert big.name in removed
