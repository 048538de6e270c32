"""Retrieval on a real space (packaged embedder; embedded Qdrant Edge and qdrant-client's in-process engine):
dense, sparse and hybrid search, document titles in the index, diversity, query translation through a real LLM
server, and the rerank slot."""
import asyncio

import pytest
from llama_index.core.schema import NodeWithScore, TextNode

from rag.embedding.sparse import query_vector
from rag.retrieval.hybrid import HybridSearch, RetrievalOptions, diversify, fused_query
from rag.retrieval.rerank import LLMReranker, build_reranker

QUESTION = "Сколько критических уязвимостей выявил аудит?"


@pytest.mark.slow
def test_each_mode_finds_the_audit_protocol(space):
    for mode in ("hybrid", "dense", "sparse"):
        found = HybridSearch(space.store, space.embedder, RetrievalOptions(mode=mode)).retrieve("s", QUESTION, 3)
        files = [n.node.metadata["file_name"] for n in found.nodes]
        assert "protocol_001_audit_committee_meeting.txt" in files, (mode, files)
        hit = found.nodes[files.index("protocol_001_audit_committee_meeting.txt")].node.get_content()
        assert "3 критических уязвимости" in hit
        assert {"embed_ms", "search_ms"} <= set(found.timings)


@pytest.mark.slow
def test_documents_carry_title_and_language(space):
    doc = space.store.find_document("s", file_name="protocol_001_audit_committee_meeting.txt")[0]
    assert doc.lang == "ru" and doc.title.startswith("ПРОТОКОЛ")
    assert space.store.space_language("s") == "ru"
    nodes = space.search.retrieve("s", QUESTION, 5).nodes
    titles = {n.node.metadata["file_name"]: n.node.metadata["title"] for n in nodes}
    assert titles["protocol_001_audit_committee_meeting.txt"] == doc.title


@pytest.mark.slow
def test_sparse_finds_a_rare_exact_term(space):
    # a word that occurs in one protocol only; the sparse branch matches it exactly
    found = HybridSearch(space.store, space.embedder, RetrievalOptions(mode="sparse")).retrieve("s", "Сидорова", 3)
    assert found.nodes and "Сидорова" in found.nodes[0].node.get_content()


def test_fused_query_shapes():
    q = [([0.1, 0.2], query_vector("бюджет")), ([0.3, 0.1], query_vector("budget"))]
    hybrid = fused_query(q, RetrievalOptions(sparse_weight=0.5))
    assert len(hybrid["prefetch"]) == 4 and hybrid["query"].rrf.weights == [1.0, 0.5, 1.0, 0.5]
    assert fused_query(q[:1], RetrievalOptions(mode="dense"))["using"] == "text-dense"
    assert fused_query([([0.1], query_vector("и в на"))], RetrievalOptions())["using"] == "text-dense"


def _nodes(*docs: str) -> list[NodeWithScore]:
    out = []
    for i, doc in enumerate(docs):
        node = TextNode(text=f"chunk {i}", metadata={"file_name": doc})
        out.append(NodeWithScore(node=node, score=1.0 - i / 10))
    return out


def test_diversity_caps_chunks_per_document():
    nodes = _nodes("a", "a", "a", "b", "a", "c")
    assert [n.node.metadata["file_name"] for n in diversify(nodes, 2)] == ["a", "a", "b", "c"]
    assert len(diversify(nodes, 0)) == 6


def test_question_in_another_language_is_also_searched_translated(space, llama_server):
    from rag.llm.pool import LLMPool

    engine = space.chat_engine("s")
    engine.llm = LLMPool([llama_server.base_url], llama_server.alias, max_tokens=48)
    sources, timings = asyncio.run(engine.find_nodes("How many critical vulnerabilities did the audit find?", []))
    assert "translate_ms" in timings and sources
    _, same = asyncio.run(engine.find_nodes(QUESTION, []))
    assert "translate_ms" not in same
    engine.query_translation = "off"
    _, off = asyncio.run(engine.find_nodes("How many critical vulnerabilities did the audit find?", []))
    assert "translate_ms" not in off


def test_translation_is_greedy_whatever_the_answer_temperature(llama_server):
    """The same question must search the same way: translation asks for temperature 0, whatever the answers use."""
    from llama_index.core.llms import ChatMessage

    from rag.answer.translate import translate_query
    from rag.llm.pool import LLMPool

    hot = LLMPool([llama_server.base_url], llama_server.alias, max_tokens=24, temperature=1.5)
    ask = [ChatMessage(role="user", content="Name three colours of the rainbow.")]

    async def reply(**options):
        return "".join([delta async for delta in hot.astream_chat(ask, **options)])
    sampled = {asyncio.run(reply()) for _ in range(3)}
    greedy = {asyncio.run(reply(temperature=0.0)) for _ in range(3)}
    assert len(sampled) > 1 and len(greedy) == 1
    question = "Кто утвердил бюджет проекта?"
    translations = {asyncio.run(translate_query(hot, question, "en")) for _ in range(3)}
    assert len(translations) == 1 and None not in translations


def test_llm_rerank_keeps_every_candidate(space, llama_server):
    from rag.llm.pool import LLMPool
    from rag.llm.pooled_llm import PooledLLM

    pool = LLMPool([llama_server.base_url], llama_server.alias, max_tokens=64, timeout=120)
    llm = PooledLLM(pool)   # as the app wires it: grading calls go through the pool
    plain = HybridSearch(space.store, space.embedder, RetrievalOptions()).retrieve("s", QUESTION, 4)
    # called directly, an LLM error (such as a prompt over the context) raises instead of falling back
    ranked = LLMReranker(llm).rerank(QUESTION, plain.nodes, 3)
    assert len(ranked) == 3 and {n.node.node_id for n in ranked} <= {n.node.node_id for n in plain.nodes}
    retriever = HybridSearch(space.store, space.embedder, RetrievalOptions(rerank_candidates=4), LLMReranker(llm))
    found = retriever.retrieve("s", QUESTION, 3)
    assert 1 <= len(found.nodes) <= 3 and "rerank_ms" in found.timings   # neighbours may merge
    assert pool.endpoints[0].last_ok and pool.endpoints[0].in_flight == 0   # counted by the pool


def test_reranker_setting():
    assert build_reranker("", None) is None and build_reranker("off", None) is None
    assert isinstance(build_reranker("llm", None), LLMReranker)


def test_cross_encoder_rerank_slot_runs_a_real_model():
    # no cross-encoder ships offline: a BERT checkpoint loads as one (with an untrained head), which is enough to
    # run the whole path through LlamaIndex's SentenceTransformerRerank and sentence-transformers
    from rag.embedding.dense import _gt_minilm_path
    from rag.retrieval.rerank import CrossEncoderReranker

    reranker = build_reranker(_gt_minilm_path(), lambda: None)
    assert isinstance(reranker, CrossEncoderReranker)
    nodes = _nodes("a", "b", "c", "d")
    ranked = reranker.rerank("budget", nodes, 3)
    assert len(ranked) == 3 and len({id(n.node) for n in ranked}) == 3
