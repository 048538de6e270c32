"""How a citation reads in the chat: "[n] file, p. N" under each answer, in the question's language."""
from __future__ import annotations

from collections.abc import Callable

from rag import Source

PAGE_WORD = {"ru": "стр.", "en": "p."}
SOURCES_HEADING = {"ru": "Источники", "en": "Sources"}


def source_label(file_name: str, page: int | None, lang: str) -> str:
    return f"{file_name}, {PAGE_WORD.get(lang, 'p.')} {page}" if page else file_name


def citation_block(sources: list[Source], cited: list[int], lang: str,
                   escape: Callable[[str], str] = lambda text: text) -> str:
    """"Sources:" and one "[n] file, p. N" line per cited source (all of them when none is cited); `escape`
    makes the file names safe for where the block is shown."""
    shown = [s for s in sources if s.n in cited] or sources
    lines = [f"[{s.n}] {escape(source_label(s.file, s.page, lang))}" for s in shown]
    return f"\n\n{SOURCES_HEADING.get(lang, 'Sources')}:\n" + "\n".join(lines) if lines else ""
