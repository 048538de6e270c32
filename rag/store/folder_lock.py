"""One process at a time on an embedded store folder: an exclusive `flock` on `<folder>/.lock`, which holds the
holder's pid, command line and start time. A second process (another app, `python -m rag.cli index` while the app
runs) gets a clear StoreError naming the holder, at start, instead of Qdrant Edge's "Can't init WAL:
Kind(WouldBlock)" on its first request. The kernel drops the lock when the holder dies, even by SIGKILL, so a
crashed app never leaves the folder locked."""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
import time
from pathlib import Path
from typing import TextIO

from rag.errors import StoreError

LOCK_NAME = ".lock"


class FolderLock:
    def __init__(self, folder: Path) -> None:
        self.path = folder / LOCK_NAME
        self._file: TextIO | None = None

    def acquire(self) -> None:
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read()
            handle.close()
            raise StoreError(f"the embedded store {self.path.parent} is in use by another process "
                             f"({_describe(holder)}). Qdrant's embedded engine serves one process: stop that one, "
                             "point QDRANT_PATH at another folder, or share a Qdrant server (QDRANT_URL) between "
                             "processes") from None
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), "command": " ".join(sys.argv)[:300], "since": time.time()}))
        handle.flush()
        self._file = handle

    def release(self) -> None:
        handle, self._file = self._file, None
        if handle is not None:
            with contextlib.suppress(OSError):
                handle.truncate(0)
                fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()


def _describe(holder: str) -> str:
    try:
        info = json.loads(holder)
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(info["since"])))
        return f"pid {info['pid']}, `{info['command']}`, since {since}"
    except (ValueError, KeyError, TypeError):
        return "a process that did not say which"
