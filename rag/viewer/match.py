"""Word matching shared by the page and the text views: text becomes tokens (casefolded, ё = е, punctuation and
whitespace dropped), and a passage is found in a longer token list as runs of tokens matching in order."""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

_WORD = re.compile(r"\w+")
BRIDGE = 3         # tokens a run may skip on either side: a hyphenated or split word, a changed mark, a page number
MIN_RUN = 4        # shorter runs are chance (a repeated key, "в соответствии с"), unless the passage is that short
FOUND_SHARE = 0.5  # share of the passage's tokens the runs must match for the passage to count as found


def normalise(text: str) -> str:
    return text.casefold().replace("ё", "е")


def tokens(text: str) -> list[str]:
    """The words of `text`, normalised: `«Ёлка-2»,` -> ["елка", "2"]."""
    return [normalise(word) for word in _WORD.findall(text)]


def token_spans(text: str) -> list[tuple[str, int, int]]:
    """Tokens of `text` with their character span in it (normalised one by one: casefolding may change a
    length, and the spans must stay those of `text`)."""
    return [(normalise(m.group()), m.start(), m.end()) for m in _WORD.finditer(text)]


@dataclass(frozen=True)
class Run:
    """Tokens [start, end) of the searched list that match the passage in order; `matched` counts the tokens that
    are equal (the rest are bridged gaps)."""
    start: int
    end: int
    matched: int


def matching_runs(passage: Sequence[str], text: Sequence[str], bridge: int = BRIDGE) -> list[Run]:
    """Runs of `text` tokens that match `passage` tokens in order: equal blocks (difflib), joined when the gap
    between them is at most `bridge` tokens on both sides, so a line-break hyphen or a differently split word does
    not cut a run in two."""
    runs: list[Run] = []
    last_a = 0
    matcher = SequenceMatcher(None, list(passage), list(text), autojunk=False)
    for a, b, size in matcher.get_matching_blocks():
        if not size:
            continue
        if runs and 0 <= b - runs[-1].end <= bridge and 0 <= a - last_a <= bridge:
            prev = runs[-1]
            runs[-1] = Run(prev.start, b + size, prev.matched + size)
        else:
            runs.append(Run(b, b + size, size))
        last_a = a + size
    return runs


def best_runs(passage: Sequence[str], text: Sequence[str]) -> tuple[list[Run], float]:
    """The runs worth showing (long enough not to be chance) and the share of the passage they match."""
    if not passage or not text:
        return [], 0.0
    floor = min(MIN_RUN, len(passage))
    runs = [run for run in matching_runs(passage, text) if run.matched >= floor]
    return runs, min(1.0, sum(run.matched for run in runs) / len(passage))


def overlap_share(passage: Sequence[str], text: Sequence[str]) -> float:
    """Cheap bag-of-words score: the share of the passage's tokens that also occur in `text` (with counts)."""
    if not passage:
        return 0.0
    have = Counter(text)
    return sum(min(n, have[tok]) for tok, n in Counter(passage).items()) / len(passage)


def best_window(passage: Sequence[str], text: Sequence[str]) -> tuple[int, int, float]:
    """The span of `text` tokens that best matches the passage, as (start, end, share of the passage matched).
    First the window of len(passage) tokens sharing the most tokens with it (with counts; one pass, so it suits long
    documents), then, around it, the matching runs in order: their span, so a passage that lost or gained words
    is shown whole."""
    size = len(passage)
    if not size or not text:
        return 0, 0, 0.0
    want = Counter(passage)
    have: Counter[str] = Counter()
    score, best = 0, (0, min(size, len(text)), 0)
    for i, tok in enumerate(text):
        if have[tok] < want[tok]:
            score += 1
        have[tok] += 1
        if i >= size:
            old = text[i - size]
            have[old] -= 1
            if have[old] < want[old]:
                score -= 1
        if score > best[2]:
            best = (max(0, i - size + 1), i + 1, score)
    low, high = max(0, best[0] - size // 2), min(len(text), best[1] + size // 2)
    runs, share = best_runs(passage, text[low:high])
    if not runs:
        return best[0], best[1], best[2] / size
    return low + runs[0].start, low + runs[-1].end, max(share, best[2] / size)
