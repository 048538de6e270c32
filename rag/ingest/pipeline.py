"""Ingestion: file bytes -> sections -> chunks sized for the embedder -> embeddings in batches -> Qdrant.

Parsing (rag/ingest/parser.py) runs in a producer thread and hands chunk batches through a small bounded queue to
the writer side here, which embeds and writes them (rag/ingest/writer.py), so parsing
the next file overlaps embedding this one and memory stays bounded however many files come. Each document is written
with status "indexing" (its chunks are invisible to retrieval) and marked "ready" only after every chunk is written.
A changed file with the same name is replaced: the new version is complete before the old one is removed. A file that
fails leaves nothing behind.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rag.embedding.dense import _SyncEmbedding
from rag.errors import StoreError
from rag.ingest.catalog import Catalog
from rag.ingest.chunking import Chunker
from rag.ingest.parser import FileParser, Loader, Work
from rag.ingest.sections import DEFAULT_READ, ReadOptions
from rag.ingest.writer import ChunkWriter, chunk_node
from rag.store.originals import Originals
from rag.store.qdrant_store import DocRecord, Store
from rag.types import ChunksWritten, FileDone, FileStarted, IngestProgress, IngestResult

log = logging.getLogger(__name__)

QUEUE_BATCHES = 4          # parsed batches waiting for the embedder (bounds memory)
HEARTBEAT_S = 15.0         # how often an indexing document's record is saved while its chunks are written


@dataclass
class _FileState:
    """What the embedder side knows of one file while it is written."""
    started: float
    record: DocRecord | None = None    # set once the document is registered ("indexing")
    chunks: int = 0
    parse_s: float = 0.0
    embed_s: float = 0.0
    error: str = ""
    error_code: str = ""


class Ingestor:
    def __init__(self, store: Store, embedder: _SyncEmbedding, chunk_size: int = 0, chunk_overlap: int = 48,
                 max_file_mb: float = 100.0, read_options: ReadOptions = DEFAULT_READ,
                 originals: Originals | None = None) -> None:
        self.store = store
        self.originals = originals     # the files as they came, kept with each document version
        self.embedder = embedder
        self.writer = ChunkWriter(store, embedder)
        self.chunker = Chunker(embedder.count_tokens, embedder.max_tokens, chunk_size, chunk_overlap)
        self.parser = FileParser(self.chunker, int(max_file_mb * 1024 * 1024), read_options)
        self.timings: dict[str, tuple[float, float]] = {}   # file -> (parse_s, embed_s) of the last batch
        self.heartbeat_s = HEARTBEAT_S    # a replica starting meanwhile must see this ingest alive (stale_ingest_s)

    # --- public API -------------------------------------------------------------------------------
    def ingest_bytes(self, space: str, name: str, data: bytes, progress: IngestProgress | None = None) -> IngestResult:
        return self._run(space, [(name, lambda: data)], progress)[0]

    def ingest_path(self, space: str, path: Path, progress: IngestProgress | None = None,
                    display_name: str | None = None) -> IngestResult:
        return self.ingest_many(space, [(display_name or path.name, path)], progress)[0]

    def ingest_many(self, space: str, files: Iterable[tuple[str, Path]],
                    progress: IngestProgress | None = None) -> list[IngestResult]:
        return self._run(space, [(name, self.parser.loader(Path(path))) for name, path in files], progress)

    # --- consumer: embed, write, commit -----------------------------------------------------------
    def _run(self, space: str, items: list[tuple[str, Loader]],
             progress: IngestProgress | None) -> list[IngestResult]:
        results: list[IngestResult | None] = [None] * len(items)
        work: queue.Queue = queue.Queue(maxsize=QUEUE_BATCHES)
        stop = threading.Event()
        catalog = Catalog(self.store.list_documents(space))
        producer = threading.Thread(target=self.parser.produce, args=(space, items, work, stop, catalog), daemon=True,
                                    name="ingest-parser")
        producer.start()
        state: dict[int, _FileState] = {}
        self.timings = {}
        try:
            while True:
                item: Work = work.get()
                if item.kind == "done":
                    break
                self._consume(space, item, state, results, items, progress, catalog)
        except BaseException:
            stop.set()
            for entry in state.values():  # an interrupted batch leaves no half document
                if entry.record is not None:
                    self.store.delete_document(space, entry.record.doc_id)
            raise
        finally:
            stop.set()
            while producer.is_alive():  # unblock a producer waiting on a full queue
                try:
                    work.get_nowait()
                except queue.Empty:
                    producer.join(timeout=0.1)
        return [r for r in results if r is not None]

    def _consume(self, space: str, item: Work, state: dict[int, _FileState], results: list,
                 items: list[tuple[str, Loader]], progress: IngestProgress | None, catalog: Catalog) -> None:
        total = len(items)
        if item.kind == "start":
            state[item.index] = _FileState(started=time.perf_counter())
            if progress:
                progress(FileStarted(file=item.name, index=item.index + 1, total=total))
            return
        entry = state[item.index]
        if item.kind == "chunks":
            try:
                self._write_batch(space, item, entry)
            except StoreError as err:   # the store said why (its disk is full, say): that is the file's reason
                log.warning("writing %s failed: %s", item.name, err)
                entry.error, entry.error_code = str(err), err.code
            except Exception as err:
                log.exception("writing %s failed", item.name)
                entry.error = f"internal error: {type(err).__name__}: {err}"
            if progress:
                progress(ChunksWritten(file=item.name, done=entry.chunks, added=len(item.chunks)))
            return
        result = item.result
        assert result is not None
        if entry.error:
            result = IngestResult(file=item.name, status="failed", reason=entry.error,
                                  reason_code=entry.error_code or "internal")
        if result.status == "ok" and item.record is not None:
            result = self._commit(space, item.record, entry, result, catalog, items[item.index][1])
        elif entry.record is not None:
            self.store.delete_document(space, entry.record.doc_id)
        if result.status == "failed" and item.record is not None:
            catalog.release(item.record.content_hash, item.name)
        result = result.model_copy(update={"seconds": round(time.perf_counter() - entry.started, 3)})
        self.timings[item.name] = (round(entry.parse_s, 3), round(entry.embed_s, 3))
        log.info("ingested %s into space %s: %s%s, %d chunks, %d pages, %.2f s", item.name, space, result.status,
                 f" ({result.reason})" if result.reason else "", result.chunks, result.pages, result.seconds)
        results[item.index] = result
        state.pop(item.index, None)
        if progress:
            progress(FileDone(result=result, index=item.index + 1, total=total))

    def _write_batch(self, space: str, item: Work, entry: _FileState) -> None:
        if entry.error or not item.chunks or item.record is None:
            return
        record = item.record
        entry.parse_s += item.parse_s
        if entry.record is None:
            self.store.put_document(record)  # "indexing": registered before any chunk exists
            entry.record = record
        nodes = []
        for offset, chunk in enumerate(item.chunks):
            meta = {"space": space, "file_name": record.file_name, "page": chunk.page,
                    "content_hash": record.content_hash, "heading": chunk.heading,
                    "chunk_index": entry.chunks + offset, "file_type": record.file_type, "title": record.title,
                    **chunk.extra}
            meta.pop("warning", None)
            nodes.append(chunk_node(chunk.text, meta, record.doc_id))
        entry.embed_s += self.writer.write(self.store.collection_of(space), nodes)
        entry.chunks += len(nodes)
        if time.time() - record.updated >= self.heartbeat_s:   # the heartbeat: saved, not only set
            record.updated = time.time()
            self.store.put_document(record)

    def _commit(self, space: str, record: DocRecord, entry: _FileState, result: IngestResult,
                catalog: Catalog, load: Loader) -> IngestResult:
        record.status, record.chunks, record.updated = "ready", entry.chunks, time.time()
        record.notes = "; ".join(result.warnings[:20])
        try:
            if self.originals is not None:  # the file is kept before its document answers questions
                self.originals.put(space, record.doc_id, load())
            with self.store._lock:   # one commit per name at a time: of two uploads of one name, the last one wins
                previous = [d for d in self.store.documents_named(space, record.file_name)
                            if d.doc_id != record.doc_id and d.status == "ready"]
                self.store.put_document(record)
                for old in previous:  # replace: the old version goes only after the new one is complete
                    self.store.delete_document(space, old.doc_id)
        except Exception as err:
            log.exception("committing %s failed", record.file_name)
            self.store.delete_document(space, record.doc_id)
            if self.originals is not None:
                self.originals.delete(space, record.doc_id)
            if isinstance(err, StoreError):   # the store's own reason (a full disk)
                return IngestResult(file=record.file_name, status="failed", reason_code=err.code, reason=str(err))
            return IngestResult(file=record.file_name, status="failed", reason_code="internal",
                                reason=f"internal error: {type(err).__name__}: {err}")
        for old in previous:
            if self.originals is not None:
                self.originals.delete(space, old.doc_id)
        catalog.committed(record, previous)
        return result.model_copy(update={"chunks": entry.chunks, "replaced": bool(previous)})
