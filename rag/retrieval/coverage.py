"""The abstention gate: is any document of the space about the question at all?

Fused scores are ranks, and the embedder's cosine does not tell an off-topic question from an answerable one (on the
demo corpus "Напиши стихотворение про осень" scores 0.83 against its best chunk; the lowest answerable question of
the evaluation sets scores 0.80). Words do: the share of the question's meaningful words that occur anywhere in the
space (a word occurs when a chunk holds its stem or its first five letters: the sparse index's own terms). A
question about the documents shares most of its words with them, in its own language or in its translation's; one
about borscht or the World Cup shares none or one. Below `min_coverage` the engine answers "not in the documents"
without asking the LLM.

One Qdrant batch request asks, per word, whether any chunk (of the searched files) holds one of its terms."""
from __future__ import annotations

from qdrant_client import models

from rag.embedding.sparse import term_index, word_terms
from rag.store.qdrant_store import SPARSE
from rag.text import stems as stemming

MAX_WORDS = 24   # a long question is judged by its first words


def content_words(text: str) -> list[tuple[str, str]]:
    """(as written, folded) for each distinct meaningful word: not a stop word, not a number, two letters or more."""
    seen: dict[str, str] = {}
    for raw, token in stemming.raw_tokens(text):
        if token not in stemming.STOP_WORDS and not token[0].isdigit() and len(token) > 1:
            seen.setdefault(token, raw)
    return [(raw, token) for token, raw in seen.items()][:MAX_WORDS]


def _request(raw: str, token: str, flt: models.Filter | None) -> models.QueryRequest:
    indices = sorted({term_index(t) for t in word_terms(raw, token)})
    return models.QueryRequest(query=models.SparseVector(indices=indices, values=[1.0] * len(indices)), using=SPARSE,
                               limit=1, filter=flt, with_payload=False)


def coverage(client, collection: str, phrasings: list[str], flt: models.Filter | None = None) -> float | None:
    """The best share, over the phrasings, of their meaningful words that occur in the collection; None when no
    phrasing has such a word (nothing to judge by)."""
    words = [content_words(p) for p in phrasings]
    requests = [_request(raw, token, flt) for ws in words for raw, token in ws]
    if not requests:
        return None
    found = [bool(r.points) for r in client.query_batch_points(collection, requests=requests)]
    shares, start = [], 0
    for ws in words:
        if ws:
            shares.append(sum(found[start:start + len(ws)]) / len(ws))
        start += len(ws)
    return max(shares)
