"""A real space for retrieval tests: eight demo protocols indexed with the packaged embedder."""
import pytest

from tests.support.paths import PROTOCOLS


@pytest.fixture(scope="module", params=["", ":memory:"], ids=["edge", "qdrant-client"])
def space(tmp_path_factory, request):
    """Embedded Qdrant Edge, and qdrant-client's own in-process engine (the client class QDRANT_URL uses)."""
    from config.settings import load_settings
    from rag import build_service

    settings = load_settings(env_file=None, qdrant_path=str(tmp_path_factory.mktemp("q") / "qdrant"),
                             qdrant_url=request.param)
    service = build_service(settings, start_llm=False)
    service.ingest_files("s", [(p.name, p) for p in sorted(PROTOCOLS.glob("*.txt"))[:8]])
    yield service
    service.close()
