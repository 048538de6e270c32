"""BM25-style sparse vectors for Qdrant, with Russian and English stemming.

Terms of a text: the Snowball stem of each meaningful word, plus its first five letters (Snowball keeps some forms
of one Russian word apart: окупиться/окупаемость, утвердили/утверждения), plus a Latin transliteration of each
capitalised Cyrillic word, so "Volkov" in an English question meets "Волков" in a Russian document. Numbers are
kept whole. Each term becomes a sparse index (a stable 31-bit hash).

A document's value for a term is BM25's saturated term frequency, tf·(k1+1) / (tf + k1·(1 − b + b·len/avg_len)).
The query's value is 1 per distinct term. Qdrant multiplies it by the term's IDF over the collection (the sparse
vector is configured with the IDF modifier), so IDF stays current as documents come and go and is never rebuilt
per query.
"""
from __future__ import annotations

import zlib
from collections import Counter

from qdrant_client import models

from rag.text import stems as stemming

K1 = 1.2
B = 0.75
AVG_LEN = 160.0     # terms in a typical chunk (text, heading and document title) at the default chunk size
_PREFIX = 5

_TRANSLIT = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s", "t", "u", "f",
     "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya"], strict=False))


def transliterate(word: str) -> str:
    return "".join(_TRANSLIT.get(ch, ch) for ch in word.lower())


def word_terms(raw: str, token: str) -> list[str]:
    if token[0].isdigit():
        return [token]
    terms = [stemming.stem(token)]
    if len(token) > _PREFIX:
        terms.append("~" + token[:_PREFIX])
    if raw[:1].isupper() and stemming.is_cyrillic(token):
        latin = transliterate(token)
        terms.append("~" + latin[:_PREFIX] if len(latin) > _PREFIX else stemming.stem(latin))
    return terms


def terms(text: str) -> list[str]:
    out: list[str] = []
    for raw, token in stemming.raw_tokens(text):
        if token not in stemming.STOP_WORDS:
            out.extend(word_terms(raw, token))
    return out


def term_index(term: str) -> int:
    return zlib.crc32(term.encode("utf-8")) & 0x7FFFFFFF


def _vector(weights: dict[int, float]) -> models.SparseVector:
    indices = sorted(weights)
    return models.SparseVector(indices=indices, values=[float(weights[i]) for i in indices])


def document_vector(text: str) -> models.SparseVector:
    counts = Counter(term_index(t) for t in terms(text))
    length = sum(counts.values())
    norm = K1 * (1 - B + B * length / AVG_LEN)
    return _vector({i: tf * (K1 + 1) / (tf + norm) for i, tf in counts.items()})


def query_vector(text: str) -> models.SparseVector:
    return _vector({term_index(t): 1.0 for t in set(terms(text))})
