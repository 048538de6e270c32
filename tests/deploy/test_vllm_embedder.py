"""The GPU embedder path of the compose `vllm` profile, on vLLM's CPU build: vLLM started with the generated
flags and VLLM_RUNNER=pooling serves /v1/embeddings (the tiny Llama converted to an embedding model, standing in
for bge-m3), the app embeds through it (EMBED_BASE_URL) to ingest and to answer, and the embedder-change guard
refuses a space that was indexed with another embedder until it is re-indexed."""
from __future__ import annotations

import httpx
import pytest

from rag.retrieval.hybrid import HybridSearch, RetrievalOptions
from tests.support.paths import PROTOCOLS
from tests.support.vllm import MODEL, serve_vllm

pytestmark = [pytest.mark.slow, pytest.mark.vllm]
QUESTION = "Сколько критических уязвимостей выявил аудит?"


def test_the_app_embeds_through_vllms_pooling_runner(tmp_path, make_settings):
    from rag import EmbedderMismatch, build_service

    store = str(tmp_path / "qdrant")
    before = build_service(make_settings(qdrant_path=store), start_llm=False)     # the packaged CPU embedder
    before.ingest_files("old", [("p1.txt", PROTOCOLS / "protocol_001_audit_committee_meeting.txt")])
    before.close()
    with serve_vllm(tmp_path / "tiny", runner="pooling") as vllm:
        vectors = httpx.post(f"{vllm.base}/v1/embeddings", json={"model": MODEL, "input": ["аудит", "бюджет"]},
                             timeout=60).json()["data"]
        assert len(vectors) == 2 and len(vectors[0]["embedding"]) >= 16
        service = build_service(make_settings(qdrant_path=store, embed_base_url=f"{vllm.base}/v1",
                                              embed_model=MODEL), start_llm=False)
        try:
            results = service.ingest_files("new", [("p1.txt", PROTOCOLS / "protocol_001_audit_committee_meeting.txt"),
                                                   ("p4.txt", PROTOCOLS / "protocol_004_board_meeting.txt")])
            assert [r.status for r in results] == ["ok", "ok"] and all(r.chunks for r in results)
            found = HybridSearch(service.store, service.embedder, RetrievalOptions()).retrieve("new", QUESTION, 2)
            assert found.nodes and "embed_ms" in found.timings     # the question embedded by vLLM, then searched
            assert service.space("new").dim == len(vectors[0]["embedding"])
            with pytest.raises(EmbedderMismatch):
                service.space("old")
            service.reindex("old")
            assert service.space("old").embed_model == service.space("new").embed_model
        finally:
            service.close()
