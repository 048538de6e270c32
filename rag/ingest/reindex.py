"""Re-index a space: re-embed its chunks with the current embedder into a fresh collection, then switch.

Chunk texts are kept in Qdrant, so no original file is needed. A chunk longer than the new embedder's limit is split
again. The space answers from its old collection until the switch; a failure leaves it as it was."""
from __future__ import annotations

import time
from collections import defaultdict

from rag.embedding.dense import _SyncEmbedding
from rag.errors import SpaceNotFound
from rag.ingest.chunking import CHUNK_METADATA_KEYS, Chunker
from rag.ingest.sections import Section
from rag.ingest.writer import BATCH_CHUNKS, ChunkWriter, chunk_node
from rag.store.qdrant_store import Store
from rag.types import ChunksWritten, IngestProgress, ReindexResult


def reindex_space(store: Store, embedder: _SyncEmbedding, chunker: Chunker, space: str,
                  progress: IngestProgress | None = None) -> ReindexResult:
    info = store.get_space(space)
    if info is None:
        raise SpaceNotFound(space)
    started = time.perf_counter()
    ready = {d.doc_id for d in store.ready_documents(space)}
    by_doc: dict[str, list[dict]] = defaultdict(list)
    for payload in store.chunks(space):
        if payload.get("doc_id") in ready:
            by_doc[payload["doc_id"]].append(payload)
    collection = store.new_collection(space, embedder.dim)
    writer = ChunkWriter(store, embedder)
    written = 0
    try:
        for doc_id, payloads in by_doc.items():
            payloads.sort(key=lambda p: p.get("chunk_index", 0))
            nodes = []
            for p in payloads:
                meta = {k: p[k] for k in CHUNK_METADATA_KEYS if k in p}
                for piece in chunker.split([Section(text=p.get("text", ""), page=p.get("page"),
                                                    heading=p.get("heading", ""))]):
                    nodes.append(chunk_node(piece.text, dict(meta), doc_id))
            for start in range(0, len(nodes), BATCH_CHUNKS):
                batch = nodes[start:start + BATCH_CHUNKS]
                writer.write(collection, batch)
                written += len(batch)
                if progress:
                    progress(ChunksWritten(file=str(payloads[0].get("file_name", "")), done=written,
                                           added=len(batch)))
    except BaseException:
        store.client.delete_collection(collection)
        raise
    store.switch_collection(space, collection, embedder.model_id, embedder.dim)
    return ReindexResult(space=space, documents=len(by_doc), chunks=written, embed_model=embedder.model_id,
                         seconds=round(time.perf_counter() - started, 2))
