"""The facade's document side on a real store and the real embedder: originals are kept with each document version
and leave with it (replace, delete, space delete, crash recovery), a space renames with everything it holds,
retrieval honours a document filter, and readers' feedback is kept and exported as eval items."""
import json
import os
import subprocess
import sys

import pytest

from rag import DocumentNotFound, Feedback, FeedbackSource, SpaceExists, SpaceNotFound, build_service
from rag.store.originals import space_key
from tests.support.paths import PROTOCOLS, ROOT

AUDIT = PROTOCOLS / "protocol_001_audit_committee_meeting.txt"
HR = PROTOCOLS / "protocol_007_hr_committee.txt"


@pytest.fixture
def service(make_settings):
    made = build_service(make_settings(), start_llm=False)
    yield made
    made.close()


def _kept(service, space: str) -> set[str]:
    return service.originals.doc_ids(space)


def test_originals_are_kept_replaced_and_deleted_with_their_documents(service, tmp_path):
    service.ingest_files("альфа", [("audit.txt", AUDIT), ("hr.txt", HR)])
    doc, data = service.original("альфа", "audit.txt")
    assert data == AUDIT.read_bytes() and doc.name == "audit.txt"
    folder = tmp_path / "originals" / space_key("альфа")       # beside the store, as the settings say
    assert len(list(folder.iterdir())) == 2 and len(_kept(service, "альфа")) == 2

    changed = tmp_path / "audit-v2.txt"
    changed.write_bytes(AUDIT.read_bytes() + "\nДополнение: аудит повторят в июне.\n".encode())
    result = service.ingest_files("альфа", [("audit.txt", changed)])[0]
    assert result.replaced
    assert service.original("альфа", "audit.txt")[1] == changed.read_bytes()
    assert len(_kept(service, "альфа")) == 2                   # the old version's file went with it

    service.delete_document("альфа", "audit.txt")
    assert len(_kept(service, "альфа")) == 1
    with pytest.raises(DocumentNotFound):
        service.original("альфа", "audit.txt")
    service.delete_space("альфа")
    assert not folder.exists() and _kept(service, "альфа") == set()


def test_a_failed_or_duplicate_file_keeps_no_original(service, tmp_path):
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 truncated")
    results = service.ingest_files("s", [("a.txt", AUDIT), ("copy.txt", AUDIT), ("broken.pdf", broken)])
    assert [r.status for r in results] == ["ok", "skipped", "failed"]
    assert len(_kept(service, "s")) == 1


def test_recovery_removes_the_original_of_a_half_indexed_document(service):
    service.ingest_files("s", [("a.txt", AUDIT)])
    record = service.store.find_document("s", file_name="a.txt")[0]
    record.status = "indexing"                    # as a process killed before the commit would leave it
    service.store.put_document(record)
    assert service.recover() == ["a.txt"]
    assert _kept(service, "s") == set()


def test_rename_moves_documents_originals_and_feedback(service):
    service.ingest_files("old", [("a.txt", AUDIT)])
    service.add_feedback(Feedback(space="old", rating=1, question="q?", answer="a [1]",
                                  sources=[FeedbackSource(n=1, file="a.txt", cited=True)]))
    service.create_space("taken")
    with pytest.raises(SpaceExists):
        service.rename_space("old", "taken")
    renamed = service.rename_space("old", "Новое имя")
    assert renamed.name == "Новое имя"
    assert [d.name for d in service.documents("Новое имя")] == ["a.txt"]
    assert service.original("Новое имя", "a.txt")[1] == AUDIT.read_bytes()
    assert [f.question for f in service.feedback("Новое имя")] == ["q?"]
    assert service.retrieve("Новое имя", "критические уязвимости аудит")[0].file == "a.txt"
    with pytest.raises(SpaceNotFound):
        service.documents("old")
    assert {s.name for s in service.list_spaces()} == {"taken", "Новое имя"}


def test_retrieval_honours_the_document_filter(service):
    service.ingest_files("s", [("audit.txt", AUDIT), ("hr.txt", HR)])
    question = "Какие решения принял комитет?"
    everything = service.retriever("s", 6).retrieve(question)
    assert {n.node.metadata["file_name"] for n in everything} == {"audit.txt", "hr.txt"}
    only = service.retriever("s", 6, ("hr.txt",)).retrieve(question)
    assert only and {n.node.metadata["file_name"] for n in only} == {"hr.txt"}
    with pytest.raises(DocumentNotFound):
        service.check_files("s", ["nope.txt"])


def test_feedback_is_kept_and_exported_by_the_cli_in_the_eval_format(make_settings, tmp_path):
    settings = make_settings()
    service = build_service(settings, start_llm=False)
    try:
        service.ingest_files("s", [("audit.txt", AUDIT)])
        good = service.add_feedback(Feedback(
            space="s", rating=1, question="Сколько уязвимостей?", answer="Три [1].", language="ru",
            sources=[FeedbackSource(n=1, file="audit.txt", page=None, cited=True)]))
        service.add_feedback(Feedback(space="s", rating=-1, question="Кто председатель?", answer="Не знаю.",
                                      comment="в протоколе есть", language="ru"))
        assert good.id and good.created > 0
        service.add_feedback(good.model_copy(update={"comment": "точно"}))        # a comment: the same rating
        assert [(f.id, f.comment) for f in service.feedback("s") if f.rating == 1] == [(good.id, "точно")]
        with pytest.raises(SpaceNotFound):
            service.add_feedback(Feedback(space="nope", rating=1, question="q", answer=""))
    finally:
        service.close()
    env = {**os.environ, "QDRANT_PATH": settings.qdrant_path}
    proc = subprocess.run([sys.executable, "-m", "rag.cli", "feedback", "--space", "s", "--format", "jsonl"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    items = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [i["rating"] for i in items] == [1, -1]
    up, down = items
    assert (up["question"], up["answer"], up["source"]) == ("Сколько уязвимостей?", "Три [1].", "audit.txt")
    assert down["answer"] == "" and down["model_answer"] == "Не знаю." and down["comment"] == "в протоколе есть"
    assert {"id", "question", "answer", "source", "evidence", "kind"} <= set(up)
