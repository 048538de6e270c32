"""How a citation reads in the chat: each [n] of an answer is a link that opens the source viewer (a click handler
in the page, webapp/ui/page_script.py, catches it), marked when the check found its sentence unsupported by the
passage; and "[n] file, p. N" lines under the answer, in the question's language."""
from __future__ import annotations

import re
from collections.abc import Callable

from rag import CitationCheck, Source

PAGE_WORD = {"ru": "стр.", "en": "p."}
SOURCES_HEADING = {"ru": "Источники", "en": "Sources"}
UNSUPPORTED = {"ru": "не подтверждается фрагментом", "en": "not supported by its passage"}
CITE_ANCHOR = "#qc-cite-"                      # #qc-cite-<message index>-<n>[-u]
_MARKER = re.compile(r"(?<!\\)\[(\d{1,2})\](?![(\[])")


def source_label(file_name: str, page: int | None, lang: str) -> str:
    return f"{file_name}, {PAGE_WORD.get(lang, 'p.')} {page}" if page else file_name


def cite_ref(message: int, n: int) -> str:
    return f"{message}-{n}"


def link_citations(markdown: str, message: int, count: int, unsupported: set[int] | None = None,
                   lang: str = "en") -> str:
    """Every [n] (1..count) of an answer's Markdown as a link to source n of chat message `message`; a citation
    whose sentence its passage does not support gets "-u" (styled apart) and a title that says so."""
    flagged = unsupported or set()

    def link(m: re.Match) -> str:
        n = int(m.group(1))
        if not 1 <= n <= count:
            return m.group(0)
        if n in flagged:
            return f'[\\[{n}\\]]({CITE_ANCHOR}{cite_ref(message, n)}-u "{UNSUPPORTED.get(lang, UNSUPPORTED["en"])}")'
        return f"[\\[{n}\\]]({CITE_ANCHOR}{cite_ref(message, n)})"

    return _MARKER.sub(link, markdown)


def unsupported_numbers(checks: list[CitationCheck]) -> set[int]:
    """Sources cited by a sentence that the check found unsupported."""
    return {c.n for c in checks if c.supported is False}


def citation_block(sources: list[Source], cited: list[int], lang: str,
                   escape: Callable[[str], str] = lambda text: text) -> str:
    """"Sources:" and one "[n] file, p. N" line per cited source (all of them when none is cited); `escape`
    makes the file names safe for where the block is shown."""
    shown = [s for s in sources if s.n in cited] or sources
    lines = [f"[{s.n}] {escape(source_label(s.file, s.page, lang))}" for s in shown]
    return f"\n\n{SOURCES_HEADING.get(lang, 'Sources')}:\n" + "\n".join(lines) if lines else ""
