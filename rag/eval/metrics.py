"""Scoring rules of the evaluation harness: retrieval hits, answer accuracy, abstention, and their summary.

* A retrieved chunk is a **hit** when its file is the item's `source` and it holds at least half of the evidence's
  words (case-folded, punctuation stripped).
* An answer is **accurate** when every key word of the gold answer appears in it. Key words come from the gold
  answer's main part (a parenthesised remark is a comment, not a requirement). Numbers must appear as numbers, after
  normalising formats (`2,5` = `2.5`, `1 000` = `1000`, `четыре` = `4`, `25 января 2025` = `25.01.2025` =
  `2025-01-25`); other words match by Snowball stem, so inflection does not matter. When the gold answer holds a
  number, the numbers are its key words (the words around them may be in the other language).
* An answer **abstains** when it says the sources do not hold the answer.
"""
from __future__ import annotations

import re
from pathlib import Path

from rag.answer import prompts
from rag.text import stems as stemming

_WORD = re.compile(r"\w+", re.UNICODE)
_CITATION = re.compile(r"\[\d{1,2}\]")
_PARENS = re.compile(r"\([^)]*\)")
_NUMBER = re.compile(r"\d+(?:[ \u00a0\u202f]\d{3})*(?:[.,]\d+)?")
_DATE_DMY = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b")
_DATE_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_NUMBER_WORDS = {
    "ноль": 0, "один": 1, "одна": 1, "одно": 1, "два": 2, "две": 2, "три": 3, "четыре": 4, "пять": 5, "шесть": 6,
    "семь": 7, "восемь": 8, "девять": 9, "десять": 10, "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4,
    "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
}
_MONTHS = {
    "январ": 1, "феврал": 2, "март": 3, "апрел": 4, "ма": 5, "июн": 6, "июл": 7, "август": 8, "сентябр": 9,
    "октябр": 10, "ноябр": 11, "декабр": 12, "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7,
    "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}
_DATE_WORDS = re.compile(r"\b(\d{1,2})\s+([а-яa-z]+)\.?\s+(\d{4})", re.IGNORECASE)
_LEGAL_FORMS = {"ооо", "оао", "зао", "пао", "ао", "llc", "ltd", "inc"}
_ABSTAIN = re.compile(
    "|".join([re.escape(prompts.NO_ANSWER["ru"].lower()), re.escape(prompts.NO_ANSWER["en"].lower()),
              r"нет (?:ответа|информации|сведений|данных)", r"не (?:содерж|указан|упомина|говорится|приводится)",
              r"(?:no|not contain any|does not contain|do not contain|doesn't contain|don't contain) "
              r"(?:the )?(?:information|answer|mention)", r"not (?:mentioned|specified|stated|provided)",
              r"(?:cannot|can't|unable to) (?:find|answer)"]))


def words(text: str) -> list[str]:
    return _WORD.findall((text or "").casefold().replace("ё", "е"))


def is_hit(chunk_text: str, chunk_file: str, source: str, evidence: str) -> bool:
    if Path(chunk_file).as_posix() != Path(source).as_posix():
        return False
    needed = set(words(evidence))
    if not needed:
        return True
    return len(needed & set(words(chunk_text))) >= len(needed) / 2


def language_of(item: dict) -> str:
    if item.get("lang"):
        return item["lang"]
    return "ru" if re.search(r"[А-Яа-яЁё]", item["question"]) else "en"


def _month(word: str) -> int | None:
    word = word.lower()
    for prefix, number in sorted(_MONTHS.items(), key=lambda kv: -len(kv[0])):
        if word.startswith(prefix) and (len(prefix) > 2 or word in ("мая", "май")):
            return number
    return None


def _normalise_dates(text: str) -> str:
    def words_date(m: re.Match) -> str:
        month = _month(m.group(2))
        return f" {int(m.group(1)):02d}.{month:02d}.{m.group(3)} " if month else m.group(0)

    text = _DATE_WORDS.sub(words_date, text)
    return _DATE_ISO.sub(lambda m: f"{m.group(3)}.{m.group(2)}.{m.group(1)}", text)


def numbers(text: str) -> set[str]:
    """The numbers a text states, in one canonical form: dates as dd.mm.yyyy, decimals with a point, no thousands
    separators, no trailing zeros, number words 0-10 as digits."""
    text = _normalise_dates(_CITATION.sub(" ", text or ""))
    found = {f"{int(d):02d}.{int(m):02d}.{y}" for d, m, y in _DATE_DMY.findall(text)}
    text = _DATE_DMY.sub(" ", text)
    for raw in _NUMBER.findall(text):
        value = re.sub(r"[ \u00a0\u202f]", "", raw).replace(",", ".")
        if "." in value:
            value = value.rstrip("0").rstrip(".")
        found.add(value.lstrip("0") or "0")
    found.update(str(n) for w, n in _NUMBER_WORDS.items() if re.search(rf"\b{w}\b", text.lower()))
    return found


def key_words(gold: str) -> tuple[set[str], set[str]]:
    """(numbers, stems) an answer must contain to match `gold`."""
    main = _PARENS.sub(" ", gold or "").strip() or gold or ""
    nums = numbers(main)
    if nums:
        return nums, set()
    kept = " ".join(t for t in stemming.tokens(main) if t not in _LEGAL_FORMS)
    return set(), {s for s in stemming.content_stems(kept) if not s[0].isdigit()}


def _stem_matches(key: str, stems: set[str]) -> bool:
    """Equal stems, or one a prefix of the other (Snowball leaves some names and forms apart: сидоров/сидор)."""
    return key in stems or any(min(len(key), len(s)) >= 4 and (s.startswith(key) or key.startswith(s))
                               for s in stems)


def answer_correct(answer: str, gold: str) -> bool:
    nums, stems = key_words(gold)
    if not nums and not stems:
        return False
    answer = _CITATION.sub(" ", answer or "")
    answer_stems = set(stemming.content_stems(answer))
    return nums <= numbers(answer) and all(_stem_matches(k, answer_stems) for k in stems)


def abstains(answer: str) -> bool:
    return bool(_ABSTAIN.search((answer or "").lower().replace("ё", "е")))


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def summarize(rows: list[dict]) -> dict:
    """Metrics over per-question rows ({answerable, rank, correct, abstained})."""
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    return {"n": len(rows),
            "hit@1": _mean([1.0 if r["rank"] == 1 else 0.0 for r in answerable]),
            "hit@5": _mean([1.0 if r["rank"] and r["rank"] <= 5 else 0.0 for r in answerable]),
            "mrr": _mean([1.0 / r["rank"] if r["rank"] else 0.0 for r in answerable]),
            "answer_accuracy": _mean([float(r["correct"]) for r in answerable if r.get("correct") is not None]),
            "abstention": _mean([float(r["abstained"]) for r in unanswerable if r.get("abstained") is not None]),
            "citation_precision": _citation_precision(rows)}


def _citation_precision(rows: list[dict]) -> float | None:
    """Cited sentences their passage supports, over every cited sentence that could be checked (pooled)."""
    checked = sum(r.get("citations_checked") or 0 for r in rows)
    return round(sum(r.get("citations_supported") or 0 for r in rows) / checked, 4) if checked else None


def report(rows: list[dict]) -> dict:
    out = summarize(rows)
    out["by_lang"] = {lang: summarize([r for r in rows if r["lang"] == lang])
                      for lang in sorted({r["lang"] for r in rows})}
    return out
