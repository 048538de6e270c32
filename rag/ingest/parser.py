"""The parsing side of ingestion, run in its own thread: file bytes -> checks (size, duplicate, readable text) ->
sections -> chunks sized for the embedder, handed to the writer side in batches (`Work` items through a bounded
queue). Nothing here writes to the store."""
from __future__ import annotations

import hashlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rag.errors import UnreadableFile
from rag.ingest.catalog import Catalog
from rag.ingest.chunking import Chunk, Chunker, document_title
from rag.ingest.naming import clean_file_name, looks_like_garbage
from rag.ingest.readers import read_sections
from rag.ingest.sections import DEFAULT_READ, ReadOptions
from rag.ingest.writer import BATCH_CHUNKS
from rag.store.qdrant_store import DocRecord
from rag.text.language import detect_language
from rag.types import IngestResult

log = logging.getLogger(__name__)
_GARBAGE_SAMPLE = 20_000   # characters checked for unreadable text before anything is written
Loader = Callable[[], bytes]


@dataclass
class Work:
    """One message from the parser to the embedder."""
    kind: str                          # "start" | "chunks" | "end" | "done"
    index: int = 0
    name: str = ""
    record: DocRecord | None = None
    chunks: list[Chunk] = field(default_factory=list)
    result: IngestResult | None = None
    parse_s: float = 0.0
    pages: int = 0
    warnings: list[str] = field(default_factory=list)



class FileParser:
    def __init__(self, chunker: Chunker, max_bytes: int, read_options: ReadOptions = DEFAULT_READ) -> None:
        self.chunker, self.max_bytes, self.read_options = chunker, max_bytes, read_options

    def loader(self, path: Path) -> Loader:
        def load() -> bytes:
            try:
                size = path.stat().st_size
            except OSError as err:
                raise UnreadableFile(f"cannot read file: {err.strerror or err}") from err
            if size > self.max_bytes:
                raise self.too_large(size)
            try:
                return path.read_bytes()
            except OSError as err:
                raise UnreadableFile(f"cannot read file: {err.strerror or err}") from err

        return load

    def too_large(self, size: int) -> UnreadableFile:
        return UnreadableFile(f"file is {size / 1048576:.1f} MB; the limit is {self.max_bytes / 1048576:.0f} MB "
                              f"(MAX_FILE_MB)", "too_large")

    def produce(self, space: str, items: list[tuple[str, Loader]], out: queue.Queue,
                 stop: threading.Event, catalog: Catalog) -> None:
        try:
            for index, (raw_name, load) in enumerate(items):
                if stop.is_set():
                    return
                name = clean_file_name(raw_name)
                out.put(Work("start", index, name))
                started = time.perf_counter()
                try:
                    for work in self._parse_one(space, index, name, load, catalog):
                        if stop.is_set():
                            return
                        out.put(work)
                except UnreadableFile as err:
                    out.put(Work("end", index, name, result=IngestResult(file=name, status="failed", reason=str(err),
                                                                       reason_code=err.reason)))
                except Exception as err:  # a broken file must never break the batch
                    log.exception("parsing %s failed", name)
                    out.put(Work("end", index, name, result=IngestResult(
                        file=name, status="failed", reason=f"internal error: {type(err).__name__}: {err}",
                        reason_code="internal")))
                finally:
                    log.debug("parsed %s in %.2fs", name, time.perf_counter() - started)
        finally:
            out.put(Work("done"))

    def _parse_one(self, space: str, index: int, name: str, load: Loader,
                   catalog: Catalog) -> Iterator[Work]:
        # parse time is this thread's CPU time: wall time would count waiting for the embedder and the GIL
        t0 = time.thread_time()
        data = load()
        if len(data) > self.max_bytes:
            raise self.too_large(len(data))
        content_hash = hashlib.sha256(data).hexdigest()
        duplicate = catalog.duplicate_of(content_hash, name)
        if duplicate:
            other, doc = duplicate
            why, code = ("unchanged", "unchanged") if other == name else (f"same content as {other}", "duplicate")
            yield Work("end", index, name, result=IngestResult(file=name, status="skipped", reason=why,
                                                                 reason_code=code,
                                                                 chunks=doc.chunks if doc else 0,
                                                                 pages=doc.pages if doc else 0))
            return
        held = [data]      # handed over, so that the bytes can be freed once parsed
        del data
        try:
            yield from self._parse_claimed(space, index, name, held, content_hash, t0)
        except BaseException:
            catalog.release(content_hash, name)     # a later identical file must not be skipped for this one
            raise

    def _parse_claimed(self, space: str, index: int, name: str, held: list[bytes], content_hash: str,
                       t0: float) -> Iterator[Work]:
        data = held.pop()
        record = DocRecord(space=space, doc_id=content_hash[:32], file_name=name, content_hash=content_hash,
                           size=len(data), pages=0, chunks=0, status="indexing", added=time.time(),
                           file_type=Path(name).suffix.lower().lstrip("."))
        sections = read_sections(data, name, self.read_options)
        del data
        warnings: list[str] = []
        pending: list[Chunk] = []
        checked, sample, pages, total = False, [], 0, 0
        for section in sections:
            if section.extra.get("warning"):
                warnings.append(section.extra["warning"])
            pages = max(pages, section.page or 0)
            if not section.text.strip():
                continue
            pending.extend(self.chunker.split([section]))
            if not record.title:
                record.title = document_title(section.text)
                record.lang = detect_language(section.text[:4000])
            if not checked:  # nothing is written before the text is known to be readable
                sample.append(section.text)
                if sum(map(len, sample)) < _GARBAGE_SAMPLE:
                    continue
                self._check_text("".join(sample))
                checked, sample = True, []
            while len(pending) >= BATCH_CHUNKS:
                total += BATCH_CHUNKS
                yield Work("chunks", index, name, record, pending[:BATCH_CHUNKS], parse_s=time.thread_time() - t0)
                t0 = time.thread_time()
                pending = pending[BATCH_CHUNKS:]
        if not checked:
            self._check_text("".join(sample), warnings)
        if not pending and not total:
            reason = "no extractable text (a scan without OCR, or an empty document)"
            raise UnreadableFile("; ".join([reason, *warnings[:3]]), "no_text")
        record.pages = pages
        yield Work("chunks", index, name, record, pending, parse_s=time.thread_time() - t0)
        yield Work("end", index, name, record, result=IngestResult(file=name, status="ok", pages=pages,
                                                                    warnings=warnings))

    @staticmethod
    def _check_text(text: str, warnings: list[str] | None = None) -> None:
        if not text.strip():
            reason = "no extractable text (a scan without OCR, or an empty document)"
            raise UnreadableFile("; ".join([reason, *(warnings or [])[:3]]), "no_text")
        if looks_like_garbage(text):
            raise UnreadableFile("extracted text is unreadable (glyphs without a text mapping, e.g. boxes)", "no_text")
