"""Re-index a space: re-embed its chunks with the current embedder into a fresh collection, then switch.

Chunk texts are kept in Qdrant, so no original file is needed. A chunk longer than the new embedder's limit is split
again. The space answers from its old collection until the switch; a failure leaves it as it was."""
from __future__ import annotations

import time
from collections import defaultdict
from typing import Callable

from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode

from rag.embedding import sparse
from rag.embedding.dense import _SyncEmbedding
from rag.ingest.chunking import CHUNK_METADATA_KEYS, Chunker, embed_text, sparse_text
from rag.ingest.sections import Section
from rag.store.qdrant_store import SpaceNotFound, Store

_BATCH = 64


def reindex_space(store: Store, embedder: _SyncEmbedding, chunker: Chunker, space: str,
                  progress: Callable[[str, dict], None] | None = None) -> dict:
    info = store.get_space(space)
    if info is None:
        raise SpaceNotFound(f"no space named {space!r}")
    started = time.perf_counter()
    ready = {d.doc_id for d in store.list_documents(space) if d.status == "ready"}
    by_doc: dict[str, list[dict]] = defaultdict(list)
    for payload in store.chunks(space):
        if payload.get("doc_id") in ready:
            by_doc[payload["doc_id"]].append(payload)
    collection = store.new_collection(space, embedder.dim)
    written = 0
    try:
        for doc_id, payloads in by_doc.items():
            payloads.sort(key=lambda p: p.get("chunk_index", 0))
            nodes: list[TextNode] = []
            for p in payloads:
                meta = {k: p[k] for k in CHUNK_METADATA_KEYS if k in p}
                for piece in chunker.split([Section(text=p.get("text", ""), page=p.get("page"),
                                                    heading=p.get("heading", ""))]):
                    node = TextNode(text=piece.text, metadata=dict(meta), excluded_embed_metadata_keys=list(meta),
                                    excluded_llm_metadata_keys=list(meta))
                    node.relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id=doc_id)
                    nodes.append(node)
            for start in range(0, len(nodes), _BATCH):
                batch = nodes[start:start + _BATCH]
                texts = [embed_text(n.text, n.metadata.get("heading", ""), n.metadata.get("title", "")) for n in batch]
                for node, vector in zip(batch, embedder.get_text_embedding_batch(texts)):
                    node.embedding = vector
                store.add_chunks(collection, batch, [sparse.document_vector(sparse_text(
                    n.text, n.metadata.get("heading", ""), n.metadata.get("title", ""), n.metadata.get("file_name", "")))
                    for n in batch])
                written += len(batch)
                if progress:
                    progress("chunks", {"done": written})
    except BaseException:
        store.client.delete_collection(collection)
        raise
    store.switch_collection(space, collection, embedder.model_id, embedder.dim)
    return {"space": space, "documents": len(by_doc), "chunks": written, "embed_model": embedder.model_id,
            "seconds": round(time.perf_counter() - started, 2)}
