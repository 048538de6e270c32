"""The source viewer for every format but PDF: the cited passage in its surrounding text, and where it is.

The file is read again with the readers ingestion uses (rag/ingest/readers.py), so the text is the text the chunks
were cut from. The passage is found exactly, modulo whitespace, first; else as the span of the document's words that
matches it best (see match.py; in texts over FALLBACK_MAX_CHARS only on the asked page). OCR stays off here: a
scanned PDF attached to an e-mail is not read again through tesseract, so a passage from it is not found."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from rag.errors import UnreadableFile
from rag.ingest.readers import read_sections
from rag.ingest.sections import ReadOptions, Section
from rag.viewer.match import FOUND_SHARE, best_window, token_spans, tokens
from rag.viewer.types import TextView

CONTEXT_CHARS = 1200
FALLBACK_MAX_CHARS = 5_000_000  # longer texts are searched by words only on the asked page
ELLIPSIS = "…"
LABELS = {"ru": {"page": "стр.", "slide": "слайд", "rows": "строки"},
          "en": {"page": "p.", "slide": "slide", "rows": "rows"}}
_SEPARATOR = "\n\n"
_VIEW_READ = ReadOptions(ocr_enabled=False)
_SPACE = re.compile(r"\s")


@dataclass
class _Document:
    text: str
    sections: list[tuple[int, int, Section]]  # each section's [start, end) in `text`

    def section_at(self, pos: int) -> Section | None:
        for _, end, section in self.sections:  # the one holding `pos`, or the next one after a separator
            if pos < end:
                return section
        return self.sections[-1][2] if self.sections else None

    def page_range(self, page: int | None) -> tuple[int, int] | None:
        spans = [(start, end) for start, end, section in self.sections if page is not None and section.page == page]
        return (spans[0][0], spans[-1][1]) if spans else None


def _read(data: bytes, file: str) -> _Document:
    parts: list[str] = []
    sections: list[tuple[int, int, Section]] = []
    pos = 0
    try:
        for section in read_sections(data, file, _VIEW_READ):
            text = section.text.strip()  # as the chunker strips it
            if not text:
                continue
            if parts:
                pos += len(_SEPARATOR)
            sections.append((pos, pos + len(text), section))
            parts.append(text)
            pos += len(text)
    except UnreadableFile:
        raise
    except Exception as err:  # a reader library failing on a damaged file
        raise UnreadableFile(f"damaged file ({type(err).__name__})", "damaged") from err
    return _Document(_SEPARATOR.join(parts), sections)


def _exact(doc: _Document, passage: str, page: int | None) -> tuple[int, int] | None:
    """The passage's span, its words separated by any whitespace; on the asked page (slide) when it occurs twice."""
    words = passage.split()
    if not words:
        return None
    pattern = re.compile(r"\s+".join(map(re.escape, words)))
    first: tuple[int, int] | None = None
    wanted = doc.page_range(page)
    for match in pattern.finditer(doc.text):
        if wanted is None or wanted[0] <= match.start() < wanted[1]:
            return match.span()
        first = first or match.span()
    return first


def _closest(doc: _Document, passage: str, page: int | None) -> tuple[int, int] | None:
    """The span of the document's words matching the passage best: on the asked page (slide) first, then in the
    whole text unless that is longer than FALLBACK_MAX_CHARS (memory and time stay bounded)."""
    want = tokens(passage)
    wanted = doc.page_range(page)
    scopes = [wanted] if wanted else []
    if len(doc.text) <= FALLBACK_MAX_CHARS:
        scopes.append((0, len(doc.text)))
    for low, high in scopes:
        spans = token_spans(doc.text[low:high])
        start, end, share = best_window(want, [tok for tok, _, _ in spans])
        if share >= FOUND_SHARE and end > start:
            return low + spans[start][1], low + spans[end - 1][2]
    return None


def _before(text: str, start: int) -> str:
    low = max(0, start - CONTEXT_CHARS)
    piece = text[low:start]
    if low > 0:
        space = _SPACE.search(piece)
        piece = ELLIPSIS + (piece[space.end():] if space else piece)
    return piece


def _after(text: str, end: int) -> str:
    high = min(len(text), end + CONTEXT_CHARS)
    piece = text[end:high]
    if high < len(text):
        space = max(piece.rfind(" "), piece.rfind("\n"))
        piece = (piece[:space] if space > 0 else piece) + ELLIPSIS
    return piece


def location_label(section: Section | None, file: str, lang: str = "en") -> str:
    """Where a section is, for a reader: "slide 3 · Budget", "Tasks · rows 10-17", "p. 4", a heading."""
    if section is None:
        return ""
    words = LABELS.get(lang, LABELS["en"])
    parts: list[str] = []
    if section.page is not None:
        suffix = PurePosixPath(str(section.extra.get("attachment") or file)).suffix.lower()
        parts.append(f"{words['slide' if suffix == '.pptx' else 'page']} {section.page}")
    if section.heading:
        parts.append(section.heading)
    if section.extra.get("rows"):
        parts.append(f"{words['rows']} {section.extra['rows']}")
    return " · ".join(parts)


def text_view(data: bytes, file: str, page: int | None, passage: str, lang: str = "en") -> TextView:
    """The passage `passage` (a cited chunk) of file `data` named `file` in up to CONTEXT_CHARS of text on each
    side, with its location in the language `lang` ("ru" or "en"). `page` is the chunk's page or slide, when it has
    one: it settles which occurrence is shown. Not found: found=False, the text from the asked page (or the start)
    in `after`. Raises UnreadableFile for bytes the file's reader cannot read."""
    doc = _read(data, file)
    span = _exact(doc, passage, page) or _closest(doc, passage, page)
    if span is None:
        wanted = doc.page_range(page)
        start = wanted[0] if wanted else 0
        return TextView(file=file, after=_after(doc.text, start), found=False,
                        location=location_label(doc.section_at(start), file, lang) if wanted else "")
    start, end = span
    return TextView(file=file, before=_before(doc.text, start), passage=doc.text[start:end],
                    after=_after(doc.text, end), location=location_label(doc.section_at(start), file, lang),
                    found=True)
