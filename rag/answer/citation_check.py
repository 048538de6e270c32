"""Does each cited sentence say what its passage says? A cheap, offline check by word and number overlap, with
stems (rag/text/stems.py): a sentence is supported by its cited passage when most of its content words (stems) are
in the passage and every number it states is too. A sentence in another language than its passage (an English
answer from Russian documents) is checked by its numbers alone, and left unchecked when it states none.

The share of supported citations goes to /metrics and to `rag.eval` as citation precision."""
from __future__ import annotations

import re

from rag.text.stems import content_stems, is_cyrillic, tokens
from rag.types import CitationCheck, Source

SUPPORT = 0.5           # share of a sentence's content words its passage must hold
_CITATION = re.compile(r"\[(\d{1,2})\]")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def sentences(answer: str) -> list[str]:
    """The answer cut into sentences and list items; a marker right after a sentence's end stays with it."""
    text = re.sub(r"([.!?…])\s*((?:\[\d{1,2}\]\s*)+)", r" \2\1 ", answer or "")
    return [s.strip(" -*•\t") for s in _SENTENCE_END.split(text) if s.strip(" -*•\t")]


def _numbers(text: str) -> set[str]:
    return {n.replace(",", ".").rstrip(".") for n in _NUMBER.findall(text)}


def _mostly_cyrillic(text: str) -> bool:
    words = [t for t in tokens(text) if not t[0].isdigit()]
    return sum(map(is_cyrillic, words)) * 2 > len(words) if words else False


def check_sentence(sentence: str, source: Source) -> CitationCheck:
    claim = _CITATION.sub(" ", sentence)
    passage = source.text
    numbers = _numbers(claim)
    numbers_ok = numbers <= _numbers(passage)
    words = {s for s in content_stems(claim) if not s[0].isdigit()}
    if _mostly_cyrillic(claim) != _mostly_cyrillic(passage):   # another language: only the numbers can be checked
        return CitationCheck(n=source.n, sentence=sentence, supported=numbers_ok if numbers else None, overlap=0.0)
    found = words & set(content_stems(passage))
    overlap = len(found) / len(words) if words else 1.0
    return CitationCheck(n=source.n, sentence=sentence, supported=numbers_ok and overlap >= SUPPORT,
                         overlap=round(overlap, 3))


def check_citations(answer: str, sources: list[Source]) -> list[CitationCheck]:
    """One check per (sentence, cited source) pair of the answer."""
    by_n = {s.n: s for s in sources}
    checks = []
    for sentence in sentences(answer):
        for n in dict.fromkeys(int(m) for m in _CITATION.findall(sentence)):
            if n in by_n and _CITATION.sub("", sentence).strip(" .,;:"):
                checks.append(check_sentence(sentence, by_n[n]))
    return checks


def precision(checks: list[CitationCheck]) -> float | None:
    """The share of checked citations that their passage supports (None when none could be checked)."""
    checked = [c.supported for c in checks if c.supported is not None]
    return round(sum(checked) / len(checked), 4) if checked else None
