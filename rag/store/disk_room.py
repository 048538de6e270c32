"""Room on the disk of an embedded store, checked before each write. Qdrant Edge writes through memory-mapped
files: when the disk fills under it, the kernel kills the whole app with SIGBUS (seen here on a full tmpfs), so
no per-file error could ever be given. A write that would leave less than MIN_FREE_DISK_MB free is refused
before it starts, with StoreFull: the file in progress fails with that reason, earlier documents stay, and
answers go on."""
from __future__ import annotations

import shutil

from rag.errors import StoreFull

MB = 1024 * 1024


class DiskRoom:
    def __init__(self, path: str, min_free_mb: float) -> None:
        self.path, self.min_free = path, int(min_free_mb * MB)

    def ensure(self, needed: int) -> None:
        """Raise StoreFull unless `needed` bytes can be written with the margin still free."""
        free = shutil.disk_usage(self.path).free
        if free - needed < self.min_free:
            raise StoreFull(f"the disk holding the store ({self.path}) has {free / MB:.1f} MB free; writing needs "
                            f"{max(1, needed) / MB:.1f} MB and MIN_FREE_DISK_MB ({self.min_free / MB:.0f} MB) must "
                            "stay free: free some space or set QDRANT_PATH on a larger disk, then upload again")


def write_estimate(nodes: list, dim: int) -> int:
    """Bytes a batch of chunks may take in the store: its text and vectors, three times over (the write-ahead log,
    the segments, the payload index)."""
    return 3 * sum(len(node.text.encode("utf-8")) + 4 * dim + 512 for node in nodes)
