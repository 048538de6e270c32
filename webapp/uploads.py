"""Where the REST API keeps an upload while it is ingested: a temporary folder named after the process
(`qc-upload-<pid>-...`), removed when the ingest ends; folders a crashed process left behind (full copies of
users' files) are removed when the app starts. A live process's folders are left alone."""
from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)
UPLOAD_PREFIX = "qc-upload-"


def upload_folder() -> tempfile.TemporaryDirectory:
    return tempfile.TemporaryDirectory(prefix=f"{UPLOAD_PREFIX}{os.getpid()}-")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:      # someone else's live process
        return True
    return True


def remove_stale_uploads(root: str | None = None) -> int:
    """Remove the upload folders of processes that no longer run; how many were removed."""
    removed = 0
    for folder in Path(root or tempfile.gettempdir()).glob(f"{UPLOAD_PREFIX}*"):
        pid = folder.name[len(UPLOAD_PREFIX):].split("-", 1)[0]
        if folder.is_dir() and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    if removed:
        log.warning("removed %d upload folder(s) left by a crashed process", removed)
    return removed
