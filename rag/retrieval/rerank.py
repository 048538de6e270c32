"""The optional rerank stage (RERANK setting; off by default, because no reranker model ships offline):

* `llm`: LlamaIndex's LLMRerank asks the configured LLM to pick and grade the relevant candidates;
* anything else is a sentence-transformers cross-encoder id or path, run by LlamaIndex's SentenceTransformerRerank
  (needs `sentence-transformers`; a hub id downloads its weights, so give a local path on offline machines).

Both keep the result length: candidates the reranker leaves out follow the ones it ranked, in fused order.
"""
from __future__ import annotations

from llama_index.core.llms import LLM
from llama_index.core.schema import NodeWithScore


def _complete(ranked: list[NodeWithScore], pool: list[NodeWithScore], k: int) -> list[NodeWithScore]:
    chosen = {id(n.node) for n in ranked}
    return (ranked + [n for n in pool if id(n.node) not in chosen])[:k]


_LLM_EXCERPT_CHARS = 700   # of each candidate the LLM grades: ten whole chunks would not fit a 4k context


def _excerpts(nodes) -> list:
    """The batch for LlamaIndex's chat choice-select prompt (the pool's endpoints are all chat models), which numbers
    the documents itself and wants one message each: a string here is read character by character, one "document"
    per character."""
    from llama_index.core.llms import ChatMessage

    return [ChatMessage(content=n.get_content()[:_LLM_EXCERPT_CHARS]) for n in nodes]


class LLMReranker:
    """`llm` is a LlamaIndex LLM: in the app, the pool behind `PooledLLM`, so grading calls are balanced and fail
    over like answers."""

    def __init__(self, llm: LLM | None) -> None:
        self.llm = llm

    def rerank(self, query: str, nodes: list[NodeWithScore], k: int) -> list[NodeWithScore]:
        from llama_index.core.postprocessor import LLMRerank

        if self.llm is None:
            return nodes[:k]
        ranked = LLMRerank(llm=self.llm, top_n=k, choice_batch_size=len(nodes),
                           format_node_batch_fn=_excerpts).postprocess_nodes(nodes, query_str=query)
        return _complete(ranked, nodes, k)


class CrossEncoderReranker:
    def __init__(self, model: str) -> None:
        from llama_index.core.postprocessor import SentenceTransformerRerank

        self._rerank = SentenceTransformerRerank(model=model, top_n=50, device="cpu")

    def rerank(self, query: str, nodes: list[NodeWithScore], k: int) -> list[NodeWithScore]:
        return _complete(self._rerank.postprocess_nodes(nodes, query_str=query), nodes, k)


def build_reranker(spec: str, llm: LLM | None):
    spec = (spec or "").strip()
    if not spec or spec.lower() in ("off", "none", "0", "false"):
        return None
    if spec.lower() == "llm":
        return LLMReranker(llm)
    return CrossEncoderReranker(spec)
