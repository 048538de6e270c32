"""The disk under the embedded store fills during an ingest (a real 16 MB tmpfs, filled to a few MB): the file in
progress fails with a clear reason naming MIN_FREE_DISK_MB, earlier documents stay whole and keep answering, and
once space is freed the same upload works. Without the check the app died: Qdrant Edge writes through memory-mapped
files, and the kernel answered the full tmpfs with SIGBUS. Where no tmpfs can be mounted (not root), the test is
skipped: an injected ENOSPC would not reproduce the memory-mapped failure."""
import contextlib
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.support.paths import PROTOCOLS

pytestmark = pytest.mark.slow


@pytest.fixture
def small_disk(tmp_path):
    mount = Path(f"/tmp/qc-disk-{uuid.uuid4().hex[:8]}")
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)], capture_output=True)
    if made.returncode != 0:
        mount.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.decode(errors='replace').strip()}")
    try:
        yield mount
    finally:
        with contextlib.suppress(Exception):
            subprocess.run(["umount", "-l", str(mount)], check=False)
            mount.rmdir()


def test_a_full_disk_fails_the_file_in_progress_and_nothing_else(make_settings, small_disk, tmp_path):
    from rag import build_service

    service = build_service(make_settings(qdrant_path=str(small_disk / "qdrant"), min_free_disk_mb=1,
                                          originals_url=str(small_disk / "originals")), start_llm=False)
    try:
        first = service.ingest_files("s", [("p1.txt", PROTOCOLS / "protocol_001_audit_committee_meeting.txt")])[0]
        assert first.status == "ok"
        filler = small_disk / "filler"
        filler.write_bytes(b"\0" * (shutil.disk_usage(small_disk).free - 2 * 1024 * 1024))   # 2 MB stay free
        big = tmp_path / "big.txt"
        big.write_text("\n\n".join(f"Раздел {i}. Критических уязвимостей выявлено {i}; бюджет {i} млн руб. " * 20
                                   for i in range(120)), encoding="utf-8")
        full = service.ingest_files("s", [("big.txt", big)])[0]
        assert full.status == "failed" and full.reason_code == "store_full", full
        assert "MIN_FREE_DISK_MB" in full.reason and "MB free" in full.reason
        assert [d.name for d in service.documents("s")] == ["p1.txt"]                   # no half document
        assert {c["file_name"] for c in service.store.chunks("s")} == {"p1.txt"}
        assert service.retrieve("s", "Сколько критических уязвимостей выявил аудит?", 1)[0].file == "p1.txt"
        filler.unlink()
        again = service.ingest_files("s", [("big.txt", big)])[0]
        assert again.status == "ok" and sorted(d.name for d in service.documents("s")) == ["big.txt", "p1.txt"]
    finally:
        service.close()
