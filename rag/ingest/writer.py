"""The one chunk writer, shared by ingestion and re-indexing: chunk text -> LlamaIndex nodes -> dense embeddings
(the document's title and the chunk's heading in front) and BM25 sparse vectors (plus the file name's words) ->
one Qdrant upload in LlamaIndex's payload layout."""
from __future__ import annotations

import time

from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode

from rag.embedding import sparse
from rag.embedding.dense import _SyncEmbedding
from rag.ingest.chunking import CHUNK_METADATA_KEYS, embed_text, sparse_text
from rag.store.qdrant_store import Store

BATCH_CHUNKS = 64          # chunks per embed + upsert step
_HIDDEN_KEYS = list(CHUNK_METADATA_KEYS)


def chunk_node(text: str, metadata: dict, doc_id: str) -> TextNode:
    """A chunk as a node of its document; its metadata is kept in the payload but never embedded or prompted."""
    node = TextNode(text=text, metadata=metadata, excluded_embed_metadata_keys=_HIDDEN_KEYS,
                    excluded_llm_metadata_keys=_HIDDEN_KEYS)
    node.relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id=doc_id)
    return node


class ChunkWriter:
    def __init__(self, store: Store, embedder: _SyncEmbedding) -> None:
        self.store, self.embedder = store, embedder

    def write(self, collection: str, nodes: list[TextNode]) -> float:
        """Embed and upload `nodes` into `collection`; returns the seconds spent embedding."""
        if not nodes:
            return 0.0
        t0 = time.perf_counter()
        texts = [embed_text(n.text, n.metadata.get("heading", ""), n.metadata.get("title", "")) for n in nodes]
        for node, vector in zip(nodes, self.embedder.get_text_embedding_batch(texts), strict=True):
            node.embedding = vector
        seconds = time.perf_counter() - t0
        sparse_vectors = [sparse.document_vector(sparse_text(n.text, n.metadata.get("heading", ""),
                                                             n.metadata.get("title", ""),
                                                             n.metadata.get("file_name", "")))
                          for n in nodes]
        self.store.add_chunks(collection, nodes, sparse_vectors)
        return seconds
