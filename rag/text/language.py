"""Which language a text is written in: Russian or English, the two the product answers in."""
from __future__ import annotations

import re

from rag.types import Language

_CYRILLIC = re.compile(r"[А-Яа-яЁё]")
_LATIN = re.compile(r"[A-Za-z]")


def detect_language(text: str) -> Language:
    """'ru' when the text has more Cyrillic than Latin letters, else 'en'."""
    return "ru" if len(_CYRILLIC.findall(text)) >= max(1, len(_LATIN.findall(text))) * 0.5 else "en"
