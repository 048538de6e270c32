"""Ingestion: file bytes -> sections -> chunks sized for the embedder -> embeddings in batches -> Qdrant.

Dedup by content hash. A changed file with the same name is replaced: the new chunks are written first, the old
version is removed after, so a reader never sees the document missing. A file that fails never touches the index.
"""
from __future__ import annotations

import hashlib
import logging
import re
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Callable

from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode

from rag.embeddings import _SyncEmbedding
from rag.ingest.chunking import Chunk, Chunker
from rag.ingest.readers import UnreadableFile, read_sections
from rag.store import DocRecord, Store

log = logging.getLogger(__name__)
Progress = Callable[[str, dict], None]

# metadata kept on each chunk; none of it is fed to the embedder or the LLM prompt verbatim
_HIDDEN_KEYS = ["space", "file_name", "page", "content_hash", "heading", "chunk_index", "rows", "file_type"]


@dataclass
class IngestResult:
    file: str
    status: str              # "ok" | "skipped" | "failed"
    reason: str = ""
    chunks: int = 0
    pages: int = 0
    seconds: float = 0.0
    replaced: bool = False


def clean_file_name(name: str) -> str:
    """A safe relative name: no `..`, no absolute root, no control characters; Cyrillic stays as it is.
    Folder parts are kept (`protocols/p1.txt`) so that same-named files in different folders stay apart."""
    text = unicodedata.normalize("NFC", str(name).replace("\\", "/"))
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    parts = [p.strip() for p in PurePath(text).parts if p.strip() not in ("", ".", "..", "/")]
    parts = [p.lstrip(".") or "_" for p in parts]
    return "/".join(parts)[-240:] or "unnamed"


def looks_like_garbage(text: str) -> bool:
    """True when extracted text is not real text: glyphs without a Unicode mapping come out as `(cid:N)` codes,
    private-use or replacement characters, or one letter repeated for every glyph (`nnnn nnnnnnnn`)."""
    sample = text[:50000]
    words = re.findall(r"[^\W\d_]{3,}", sample)
    if len(words) >= 5:
        repeated = sum(len(set(w.lower())) == 1 for w in words)
        if repeated / len(words) > 0.3:
            return True
    visible = re.sub(r"\s+", "", sample)
    if len(visible) < 20:
        return False
    unmapped = len(re.findall(r"\(cid:\d+\)", sample)) * 8
    unmapped += sum(unicodedata.category(ch) in ("Co", "Cn") or ch == "\ufffd" for ch in visible)
    return unmapped / len(visible) > 0.2


class Ingestor:
    def __init__(self, store: Store, embedder: _SyncEmbedding, chunk_size: int = 0, chunk_overlap: int = 48,
                 max_file_mb: float = 100.0) -> None:
        self.store = store
        self.embedder = embedder
        self.chunker = Chunker(embedder.count_tokens, embedder.max_tokens, chunk_size, chunk_overlap)
        self.max_bytes = int(max_file_mb * 1024 * 1024)

    def ingest_bytes(self, space: str, name: str, data: bytes, progress: Progress | None = None) -> IngestResult:
        started = time.perf_counter()
        file_name = clean_file_name(name)
        try:
            result = self._ingest(space, file_name, data, progress)
        except UnreadableFile as err:
            result = IngestResult(file_name, "failed", str(err))
        except Exception as err:  # a broken file must never break the batch
            log.exception("ingest of %s failed", file_name)
            result = IngestResult(file_name, "failed", f"internal error: {type(err).__name__}: {err}")
        result.seconds = round(time.perf_counter() - started, 3)
        return result

    def ingest_path(self, space: str, path: Path, progress: Progress | None = None,
                    display_name: str | None = None) -> IngestResult:
        name = display_name or path.name
        try:
            size = path.stat().st_size
            if size > self.max_bytes:
                return IngestResult(clean_file_name(name), "failed", self._too_large(size))
            data = path.read_bytes()
        except OSError as err:
            return IngestResult(clean_file_name(name), "failed", f"cannot read file: {err.strerror or err}")
        return self.ingest_bytes(space, name, data, progress)

    def _too_large(self, size: int) -> str:
        return f"file is {size / 1048576:.1f} MB; the limit is {self.max_bytes / 1048576:.0f} MB (MAX_FILE_MB)"

    def _ingest(self, space: str, file_name: str, data: bytes, progress: Progress | None) -> IngestResult:
        if len(data) > self.max_bytes:
            return IngestResult(file_name, "failed", self._too_large(len(data)))
        content_hash = hashlib.sha256(data).hexdigest()
        same = self.store.find_document(space, content_hash=content_hash)
        ready = [d for d in same if d.status == "ready"]
        if ready:
            where = "unchanged" if ready[0].file_name == file_name else f"same content as {ready[0].file_name}"
            return IngestResult(file_name, "skipped", where, chunks=ready[0].chunks, pages=ready[0].pages)

        sections = list(read_sections(data, file_name))
        text = "\n".join(s.text for s in sections)
        if not text.strip():
            raise UnreadableFile("no extractable text (a scan without OCR, or an empty document)")
        if looks_like_garbage(text):
            raise UnreadableFile("extracted text is unreadable (glyphs without a text mapping, e.g. boxes)")
        chunks = self.chunker.split(sections)
        pages = max((s.page or 0 for s in sections), default=0)
        if progress:
            progress("parsed", {"file": file_name, "chunks": len(chunks), "pages": pages})

        doc_id = content_hash[:32]
        previous = [d for d in self.store.find_document(space, file_name=file_name) if d.doc_id != doc_id]
        record = DocRecord(space=space, doc_id=doc_id, file_name=file_name, content_hash=content_hash,
                           size=len(data), pages=pages, chunks=len(chunks), status="indexing", added=time.time(),
                           file_type=Path(file_name).suffix.lower().lstrip("."))
        self.store.put_document(record)
        try:
            nodes = self._embed(space, record, chunks, progress)
            self.store.vector_store(space).add(nodes)
        except BaseException:
            self.store.delete_document(space, doc_id)  # nothing half-written stays behind
            raise
        record.status = "ready"
        self.store.put_document(record)
        for old in previous:  # replace: the old version goes only after the new one is complete
            self.store.delete_document(space, old.doc_id)
        return IngestResult(file_name, "ok", chunks=len(chunks), pages=pages, replaced=bool(previous))

    def _embed(self, space: str, record: DocRecord, chunks: list[Chunk], progress: Progress | None) -> list[TextNode]:
        nodes: list[TextNode] = []
        batch = max(1, self.embedder.embed_batch_size)
        for start in range(0, len(chunks), batch):
            part = chunks[start:start + batch]
            vectors = self.embedder.get_text_embedding_batch([self._embed_text(record, c) for c in part])
            for offset, (chunk, vector) in enumerate(zip(part, vectors)):
                index = start + offset
                meta = {"space": space, "file_name": record.file_name, "page": chunk.page,
                        "content_hash": record.content_hash, "heading": chunk.heading, "chunk_index": index,
                        "file_type": record.file_type, **chunk.extra}
                node = TextNode(text=chunk.text, metadata=meta, embedding=vector,
                                excluded_embed_metadata_keys=_HIDDEN_KEYS, excluded_llm_metadata_keys=_HIDDEN_KEYS)
                node.relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id=record.doc_id)
                nodes.append(node)
            if progress:
                progress("embedded", {"file": record.file_name, "done": min(start + batch, len(chunks)),
                                      "total": len(chunks)})
        return nodes

    @staticmethod
    def _embed_text(record: DocRecord, chunk: Chunk) -> str:
        """What the embedder sees: the chunk, with its heading when the chunk does not already start with it."""
        if chunk.heading and not chunk.text.startswith(chunk.heading):
            return f"{chunk.heading}\n{chunk.text}"
        return chunk.text
