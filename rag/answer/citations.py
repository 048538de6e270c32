"""Which sources an answer cites: its [n] markers, or, when the model wrote none, the source that supports it best."""
from __future__ import annotations

import re

from rag.text.stems import content_stems
from rag.types import Source

_CITATION = re.compile(r"\[(\d{1,2})\]")


def cited_numbers(answer: str, count: int) -> list[int]:
    seen: list[int] = []
    for match in _CITATION.finditer(answer):
        n = int(match.group(1))
        if 1 <= n <= count and n not in seen:
            seen.append(n)
    return seen


def supporting_source(answer: str, question: str, sources: list[Source]) -> int | None:
    """When the model cites nothing, the source that best supports the answer: the one sharing most stems with
    the answer (double weight) and the question. None when nothing is shared."""
    answer_stems = set(content_stems(answer))
    question_stems = set(content_stems(question))
    best, best_score = None, 0.0
    for s in sources:
        text_stems = set(content_stems(s.text))
        score = 2 * len(answer_stems & text_stems) + len(question_stems & text_stems)
        if score > best_score:
            best, best_score = s.n, score
    return best
