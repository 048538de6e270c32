"""Chunks made the way ingestion makes them: the real readers, then the Chunker sized by the packaged embedder's own
token count (the `embedder` fixture of tests/rag/conftest.py), with the default size and overlap."""
import pytest

from rag.ingest.chunking import Chunk, Chunker
from rag.ingest.readers import read_sections


@pytest.fixture(scope="session")
def chunker(embedder) -> Chunker:
    return Chunker(embedder.count_tokens, embedder.max_tokens)


@pytest.fixture(scope="session")
def chunks_of(chunker):
    def make(data: bytes, name: str) -> list[Chunk]:
        return chunker.split(read_sections(data, name))

    return make
