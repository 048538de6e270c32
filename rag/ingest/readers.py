"""Readers: one per format, each turning a file into clean text sections with a page number where the format has
pages. A reader raises `UnreadableFile` with a human reason when the file cannot be read. Guards run first: the
content must match the extension, and Office zips must not be bombs."""
from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from rag.errors import UnreadableFile
from rag.ingest import guards
from rag.ingest.sections import DEFAULT_READ, ReadOptions, Section, decode_text, slices

__all__ = ["READERS", "Section", "UnreadableFile", "decode_text", "read_sections", "supported_suffixes"]


def _read_text(data: bytes, name: str, options: ReadOptions = DEFAULT_READ) -> Iterator[Section]:
    text = decode_text(data)
    if "\x00" in text[:100_000]:
        raise UnreadableFile("binary content: not a text file", "wrong_type")
    for piece in slices(text):
        yield Section(text=piece)


_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*\S)\s*$")


def _read_markdown(data: bytes, name: str, options: ReadOptions = DEFAULT_READ) -> Iterator[Section]:
    """Split Markdown at headings so each section carries its heading."""
    heading, lines = "", list[str]()
    for line in decode_text(data).splitlines():
        match = _MD_HEADING.match(line)
        if match:
            if "".join(lines).strip():
                yield Section(text="\n".join(lines), heading=heading)
            heading, lines = match.group(2), [line]
        else:
            lines.append(line)
    if "".join(lines).strip():
        yield Section(text="\n".join(lines), heading=heading)


def too_many_rows(rows: int | str, limit: int, sheet: str = "") -> UnreadableFile:
    return UnreadableFile(f"{f'sheet {sheet}' if sheet else 'the table'} has {rows} rows; the limit is {limit} "
                          f"(MAX_TABLE_ROWS): each row becomes text to search, and this many would take hours to "
                          f"index; split the table, or keep the rows that matter", "too_large")


def rows_as_records(header: list[str], rows: Iterator[tuple[int, list]], sheet: str = "",
                    rows_per_section: int = 8, limit: int | None = None) -> Iterator[Section]:
    """Table rows as readable records `column: value; …`, a few per section, each section naming its rows; more
    than `limit` rows is refused."""
    header = [str(h).strip() if h not in (None, "") else f"column {i + 1}" for i, h in enumerate(header)]
    batch: list[str] = []
    first = None
    prefix = f"{sheet}: " if sheet else ""
    for count, (line_no, row) in enumerate(rows, start=1):
        if limit is not None and count > limit:
            raise too_many_rows(f"more than {limit}", limit, sheet)
        pairs = [f"{h}: {str(v).strip()}" for h, v in zip(header, row, strict=False)
                 if v not in (None, "") and str(v).strip()]
        if not pairs:
            continue
        first = first or line_no
        batch.append(prefix + "; ".join(pairs))
        if len(batch) >= rows_per_section:
            yield Section(text="\n".join(batch), heading=sheet, extra={"rows": f"{first}-{line_no}"})
            batch, first = [], None
    if batch:
        yield Section(text="\n".join(batch), heading=sheet, extra={"rows": f"{first}-{line_no}"})


def _lines(text: str) -> Iterator[str]:
    """The lines of a text one at a time (io.StringIO would hold a second copy, at 4 bytes a character)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start) + 1 or len(text)
        yield text[start:end]
        start = end


def _read_csv(data: bytes, name: str, options: ReadOptions = DEFAULT_READ) -> Iterator[Section]:
    text = decode_text(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    rows = sum(1 for _ in csv.reader(_lines(text), dialect)) - 1     # counted before any is indexed
    if rows > options.max_table_rows:
        raise too_many_rows(rows, options.max_table_rows)
    reader = csv.reader(_lines(text), dialect)
    header = next(reader, None)
    if header:
        yield from rows_as_records(header, enumerate(reader, start=2))


Reader = Callable[[bytes, str, ReadOptions], Iterator[Section]]


def _lazy(module: str, func: str) -> Reader:
    def read(data: bytes, name: str, options: ReadOptions = DEFAULT_READ) -> Iterator[Section]:
        import importlib

        return getattr(importlib.import_module(f"rag.ingest.{module}"), func)(data, name, options)

    return read


READERS: dict[str, Reader] = {
    ".txt": _read_text, ".text": _read_text, ".log": _read_text,
    ".md": _read_markdown, ".markdown": _read_markdown,
    ".csv": _read_csv, ".tsv": _read_csv,
    ".pdf": _lazy("pdf", "read_pdf"),
    ".docx": _lazy("office", "read_docx"), ".pptx": _lazy("office", "read_pptx"),
    ".xlsx": _lazy("office", "read_xlsx"),
    ".html": _lazy("web_mail", "read_html"), ".htm": _lazy("web_mail", "read_html"),
    ".eml": _lazy("web_mail", "read_eml"),
}


def supported_suffixes() -> list[str]:
    return sorted(READERS)


def read_sections(data: bytes, name: str, options: ReadOptions = DEFAULT_READ) -> Iterator[Section]:
    """Yield the sections of file `name` with content `data`; raise UnreadableFile with a reason."""
    suffix = Path(name).suffix.lower()
    reader = READERS.get(suffix)
    if reader is None:
        raise UnreadableFile(f"unsupported file type {suffix or '(none)'}; "
                             f"supported: {', '.join(supported_suffixes())}", "unsupported")
    if not data:
        raise UnreadableFile("empty file (0 bytes)", "empty")
    guards.check_content_matches(data, suffix)
    yield from reader(data, name, options)
