"""The uploaded files as they came, kept so that a cited passage can be shown in its file and the file downloaded.

One folder per space (named by a digest of the space's name, so any name is a safe path) and one file per
document version (its doc_id) under ORIGINALS_URL, through fsspec: a local folder by default, `s3://…` (or any
fsspec URL whose driver is installed) in production, so app replicas share them. A file is written before its
document is marked ready and removed with it."""
from __future__ import annotations

import contextlib
import hashlib
import logging

import fsspec

log = logging.getLogger(__name__)


def space_key(space: str) -> str:
    return hashlib.sha1(space.encode("utf-8")).hexdigest()[:16]


class Originals:
    def __init__(self, url: str) -> None:
        self.fs, root = fsspec.core.url_to_fs(url)
        self.root = root.rstrip("/")
        self.url = url

    def _space_dir(self, space: str) -> str:
        return f"{self.root}/{space_key(space)}"

    def _path(self, space: str, doc_id: str) -> str:
        if not doc_id or "/" in doc_id or doc_id.startswith("."):
            raise ValueError(f"bad document id {doc_id!r}")
        return f"{self._space_dir(space)}/{doc_id}"

    def put(self, space: str, doc_id: str, data: bytes) -> None:
        """Keep a document version's bytes (written whole to a temporary name, then moved into place)."""
        path = self._path(space, doc_id)
        self.fs.makedirs(self._space_dir(space), exist_ok=True)
        partial = f"{path}.partial"
        with self.fs.open(partial, "wb") as out:
            out.write(data)
        self.fs.mv(partial, path)

    def get(self, space: str, doc_id: str) -> bytes | None:
        path = self._path(space, doc_id)
        try:
            with self.fs.open(path, "rb") as src:
                return src.read()
        except FileNotFoundError:
            return None

    def exists(self, space: str, doc_id: str) -> bool:
        return bool(self.fs.exists(self._path(space, doc_id)))

    def delete(self, space: str, doc_id: str) -> None:
        path = self._path(space, doc_id)
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm(path)

    def delete_space(self, space: str) -> None:
        folder = self._space_dir(space)
        if self.fs.exists(folder):
            self.fs.rm(folder, recursive=True)

    def rename_space(self, old: str, new: str) -> None:
        source, target = self._space_dir(old), self._space_dir(new)
        if self.fs.exists(source):
            self.fs.mv(source, target, recursive=True)

    def doc_ids(self, space: str) -> set[str]:
        """The document versions kept for a space (for tests and clean-up)."""
        folder = self._space_dir(space)
        if not self.fs.exists(folder):
            return set()
        return {p.rstrip("/").rsplit("/", 1)[-1] for p in self.fs.ls(folder, detail=False)
                if not p.endswith(".partial")}
