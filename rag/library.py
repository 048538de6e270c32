"""The facade's document side (RagService inherits it): spaces, documents, ingestion with typed progress, the
originals as they came (`rag.source_view` shows a cited passage in one), and readers' feedback. Public types in,
public types out."""
from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from rag.access.facade import Access
from rag.embedding.dense import _SyncEmbedding
from rag.errors import DocumentNotFound, EmbedderMismatch, SpaceExists, SpaceNotFound
from rag.ingest.naming import clean_file_name
from rag.ingest.pipeline import Ingestor
from rag.store import feedback as feedback_store
from rag.store.originals import Originals
from rag.store.qdrant_store import DocRecord, SpaceInfo, Store
from rag.store.space_rename import rename_space
from rag.telemetry import Telemetry
from rag.types import Document, Feedback, IngestProgress, IngestResult, ReindexResult, Space

log = logging.getLogger(__name__)


def _space(info: SpaceInfo) -> Space:
    return Space(name=info.name, embed_model=info.embed_model, dim=info.dim, created=info.created)


def _document(d: DocRecord) -> Document:
    return Document(name=d.file_name, file_type=d.file_type, size=d.size, pages=d.pages, chunks=d.chunks,
                    added=d.added, title=d.title, language=d.lang, notes=d.notes)


class Library:
    access: Access
    store: Store
    embedder: _SyncEmbedding
    ingestor: Ingestor
    originals: Originals
    telemetry: Telemetry

    # --- spaces -----------------------------------------------------------------------------------
    def list_spaces(self) -> list[Space]:
        return [_space(i) for i in self.store.list_spaces()]

    def create_space(self, name: str) -> Space:
        """A new space; SpaceExists when one of that name is there already, InvalidSpaceName for a bad name."""
        info, created = self.store.create_space(name, self.embedder.model_id, self.embedder.dim)
        if not created:
            raise SpaceExists(info.name)
        return _space(info)

    def rename_space(self, name: str, new_name: str) -> Space:
        """The space under a new name, with its documents, originals and feedback; SpaceNotFound, SpaceExists,
        InvalidSpaceName."""
        info = rename_space(self.store, name, new_name)
        if info.name != name:
            self.originals.rename_space(name, info.name)
            feedback_store.rename_space_feedback(self.store, name, info.name)
            self.access.space_renamed(name, info.name)
            log.info("renamed space %s to %s", name, info.name)
        return _space(info)

    def delete_space(self, name: str) -> bool:
        """Delete the space with its documents, originals and feedback (True); SpaceNotFound when there is
        none."""
        if not self.store.delete_space(name):
            raise SpaceNotFound(name)
        self.originals.delete_space(name)
        feedback_store.delete_space_feedback(self.store, name)
        self.access.space_deleted(name)
        return True

    def space(self, name: str, create: bool = False) -> Space:
        """The space, checked usable: SpaceNotFound (unless `create`), EmbedderMismatch when it was indexed with
        another embedding model than the app now uses."""
        info = self.store.get_space(name)
        if info is None:
            if not create:
                raise SpaceNotFound(name)
            info, _ = self.store.create_space(name, self.embedder.model_id, self.embedder.dim)
        if info.embed_model != self.embedder.model_id or info.dim != self.embedder.dim:
            raise EmbedderMismatch(f"space {name!r} was indexed with {info.embed_model} ({info.dim}-d) but the app "
                                   f"now embeds with {self.embedder.model_id} ({self.embedder.dim}-d); re-index "
                                   f"the space or switch EMBED_MODEL back")
        return _space(info)

    # --- documents --------------------------------------------------------------------------------
    def ingest_files(self, space: str, files: Iterable[tuple[str, Path]],
                     progress: IngestProgress | None = None) -> list[IngestResult]:
        """Index (display name, path) pairs into `space`, creating it if needed; one result per file."""
        space = self.space(space, create=True).name     # as stored: a name padded with spaces is the space
        results = self.ingestor.ingest_many(space, files, progress)
        for result in results:
            self.telemetry.ingested(result)
        return results

    def refuse_too_large(self, name: str, size: int) -> IngestResult:
        """The result of a file refused by its size (`size` bytes) before it was kept: the HTTP upload stops
        writing a file at MAX_FILE_MB."""
        err = self.ingestor.parser.too_large(size)
        result = IngestResult(file=clean_file_name(name), status="failed", reason=str(err), reason_code=err.reason)
        self.telemetry.ingested(result)
        return result

    def ingest_bytes(self, space: str, name: str, data: bytes) -> IngestResult:
        space = self.space(space, create=True).name
        result = self.ingestor.ingest_bytes(space, name, data)
        self.telemetry.ingested(result)
        return result

    def recover(self, older_than_s: float = 0.0) -> list[str]:
        """Remove documents a killed process left half-written; returns their names. Local mode owns the store
        alone, so at start every "indexing" record is stale, and a chunk collection no space uses is a killed
        re-index's; with a shared Qdrant server only documents without a heartbeat for STALE_INGEST_S are (another
        replica may be re-indexing)."""
        stale = self.store.stale_documents(older_than_s)
        for doc in stale:
            log.warning("removing half-indexed %s from space %s", doc.file_name, doc.space)
            self.store.delete_document(doc.space, doc.doc_id)
            self.originals.delete(doc.space, doc.doc_id)
        if not self.store.is_server:   # alone on the store: a collection no space uses is a killed re-index's
            for collection in self.store.orphan_collections():
                log.warning("removing collection %s, left by a re-index that did not finish", collection)
                self.store.client.delete_collection(collection)
        return [d.file_name for d in stale]

    def reindex(self, space: str, progress: IngestProgress | None = None) -> ReindexResult:
        """Re-embed every chunk of a space with the current embedder into a new collection, then switch to it.
        Until the switch, the space keeps answering from the old vectors."""
        from rag.ingest.reindex import reindex_space

        return reindex_space(self.store, self.embedder, self.ingestor.chunker, space, progress)

    def documents(self, space: str) -> list[Document]:
        """The space's documents that are fully indexed."""
        if self.store.get_space(space) is None:
            raise SpaceNotFound(space)
        return [_document(d) for d in self.store.ready_documents(space)]

    def count_chunks(self, space: str) -> int:
        return self.store.count_chunks(space)

    def check_files(self, space: str, files: Iterable[str]) -> tuple[str, ...]:
        """The names, checked to be documents of the space (DocumentNotFound names the first that is not)."""
        names = tuple(dict.fromkeys(f for f in files if f))
        if names:
            known = {d.file_name for d in self.store.ready_documents(space)}
            missing = [n for n in names if n not in known]
            if missing:
                raise DocumentNotFound(f"no document {missing[0]!r} in space {space!r}")
        return names

    def delete_document(self, space: str, name: str) -> int:
        """Delete every version of document `name`, with its original; DocumentNotFound when there is none."""
        if self.store.get_space(space) is None:
            raise SpaceNotFound(space)
        docs = self.store.find_document(space, file_name=name)
        if not docs:
            raise DocumentNotFound(f"no document {name!r} in space {space!r}")
        for doc in docs:
            self.store.delete_document(space, doc.doc_id)
            self.originals.delete(space, doc.doc_id)
        log.info("deleted %s from space %s", name, space)
        return len(docs)

    def _ready_record(self, space: str, name: str) -> DocRecord:
        if self.store.get_space(space) is None:
            raise SpaceNotFound(space)
        docs = [d for d in self.store.find_document(space, file_name=name) if d.status == "ready"]
        if not docs:
            raise DocumentNotFound(f"no document {name!r} in space {space!r}")
        return max(docs, key=lambda d: d.added)

    def original(self, space: str, name: str) -> tuple[Document, bytes]:
        """The document and its file as uploaded; DocumentNotFound when there is no such document, or when it was
        indexed before originals were kept."""
        record = self._ready_record(space, name)
        data = self.originals.get(space, record.doc_id)
        if data is None:
            raise DocumentNotFound(f"the original of {name!r} is not kept (indexed before originals were kept: "
                                   f"upload it again)")
        return _document(record), data

    # --- feedback ---------------------------------------------------------------------------------
    def add_feedback(self, feedback: Feedback) -> Feedback:
        """Keep a reader's rating of an answer (with the question, the answer and its sources); with the id of an
        earlier one, replace it (a comment added later)."""
        if self.store.get_space(feedback.space) is None:
            raise SpaceNotFound(feedback.space)
        record = feedback_store.FeedbackRecord(
            space=feedback.space, rating=feedback.rating, question=feedback.question, answer=feedback.answer,
            sources=[s.model_dump() for s in feedback.sources], comment=feedback.comment,
            language=feedback.language)
        if feedback.id:   # the same rating again, now with a comment
            record.id, record.created = feedback.id, feedback.created or record.created
        feedback_store.put_feedback(self.store, record)
        if not feedback.id:    # a comment added to a rating is not another rating
            self.telemetry.feedback(record.rating)
        log.info("feedback %+d on an answer in space %s%s", record.rating, feedback.space,
                 " (comment)" if feedback.id else "")
        return feedback.model_copy(update={"id": record.id, "created": record.created})

    def feedback(self, space: str) -> list[Feedback]:
        if self.store.get_space(space) is None:
            raise SpaceNotFound(space)
        return [Feedback.model_validate(r.__dict__) for r in feedback_store.list_feedback(self.store, space)]
