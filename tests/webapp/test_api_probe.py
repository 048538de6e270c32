"""HTTP cases a probe found broken (issue 15): an upload with a space id padded with spaces goes into that space
(no stray space, no internal errors); a document whose name holds "/" (folder parts are kept) can be deleted;
temporary upload folders left by a crashed process are removed at start, a live process's are not."""
import os
import tempfile
from pathlib import Path

import httpx
import pytest

from tests.support.paths import PROTOCOLS
from tests.support.services import app_over_stub

PROTOCOL = PROTOCOLS / "protocol_001_audit_committee_meeting.txt"


@pytest.fixture(scope="module")
def api(tmp_path_factory, fault_llm):
    with app_over_stub(tmp_path_factory.mktemp("probe"), fault_llm, with_protocol=False) as (base, service):
        yield base, service


def test_a_padded_space_id_is_the_space(api):
    base, service = api
    resp = httpx.post(f"{base}/ingest", data={"space_id": "  padded  "},
                      files=[("files", ("p1.txt", PROTOCOL.read_bytes()))], timeout=120)
    assert resp.status_code == 200, resp.text
    assert [r["status"] for r in resp.json()["results"]] == ["ok"]
    assert "padded" in [s.name for s in service.list_spaces()]
    assert not [s.name for s in service.list_spaces() if s.name != s.name.strip()]


def test_a_document_with_folders_in_its_name_can_be_deleted(api):
    base, service = api
    service.ingest_files("folders", [("reports/2024/p1.txt", PROTOCOL)])
    assert [d.name for d in service.documents("folders")] == ["reports/2024/p1.txt"]
    gone = httpx.delete(f"{base}/spaces/folders/documents/reports/2024/p1.txt", timeout=60)
    assert gone.status_code == 200, gone.text
    assert service.documents("folders") == []


def test_upload_folders_of_a_crashed_process_are_removed_at_start(tmp_path, fault_llm):
    from webapp.uploads import UPLOAD_PREFIX

    root = Path(tempfile.gettempdir())
    dead = root / f"{UPLOAD_PREFIX}{2 ** 22 + 12345}-leftover"      # no such process
    live = root / f"{UPLOAD_PREFIX}{os.getpid()}-running"
    for folder in (dead, live):
        folder.mkdir(exist_ok=True)
        (folder / "00000").write_bytes(b"a full copy of someone's upload")
    try:
        with app_over_stub(tmp_path, fault_llm, with_protocol=False):
            assert not dead.exists() and live.exists()
    finally:
        for folder in (dead, live):
            if folder.exists():
                for f in folder.iterdir():
                    f.unlink()
                folder.rmdir()


def test_files_per_request_are_a_setting_with_a_clear_413(tmp_path, fault_llm):
    with app_over_stub(tmp_path, fault_llm, with_protocol=False, max_upload_files=3) as (base, service):
        files = [("files", (f"p{i}.txt", PROTOCOL.read_bytes())) for i in range(4)]
        over = httpx.post(f"{base}/ingest", data={"space_id": "many"}, files=files, timeout=120)
        assert over.status_code == 413 and "MAX_UPLOAD_FILES" in over.json()["detail"]
        assert service.store.get_space("many") is None
        within = httpx.post(f"{base}/ingest", data={"space_id": "many"}, files=files[:3], timeout=120)
        assert within.status_code == 200
        assert [r["status"] for r in within.json()["results"]] == ["ok", "skipped", "skipped"]   # same content
