"""Readers: one per format, each turning a file into clean text sections with a page number where the format has
pages. A reader raises `UnreadableFile` with a human reason when the file cannot be read."""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator


class UnreadableFile(Exception):
    """The file cannot be turned into text; the message is shown to the user as is."""


@dataclass
class Section:
    text: str
    page: int | None = None          # 1-based page (PDF) or slide; None for formats without pages
    heading: str = ""                # nearest heading above the text, when the format has headings
    extra: dict = field(default_factory=dict)


def decode_text(data: bytes) -> str:
    """Decode bytes of unknown encoding: BOMs first, then UTF-8, then a statistical guess (cp1251, koi8-r, …)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    if best is None:
        raise UnreadableFile("binary content: not a text file")
    return data.decode(best.encoding, errors="replace")


def _read_text(data: bytes, name: str) -> Iterator[Section]:
    text = decode_text(data)
    if "\x00" in text:
        raise UnreadableFile("binary content: not a text file")
    yield Section(text=text)


_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*\S)\s*$")


def _read_markdown(data: bytes, name: str) -> Iterator[Section]:
    """Split Markdown at headings so each section carries its heading."""
    heading, lines = "", []
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


def _read_pdf(data: bytes, name: str) -> Iterator[Section]:
    import pdfplumber
    from pdfminer.pdfdocument import PDFPasswordIncorrect, PDFEncryptionError

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except (PDFPasswordIncorrect, PDFEncryptionError) as err:
        raise UnreadableFile("encrypted PDF: remove the password and upload again") from err
    except Exception as err:  # pdfminer raises many types on broken files
        raise UnreadableFile(f"damaged or not a PDF ({type(err).__name__})") from err
    with pdf:
        for number, page in enumerate(pdf.pages, start=1):
            try:
                text = page.extract_text(x_tolerance=1.5, y_tolerance=3) or ""
            except Exception as err:
                raise UnreadableFile(f"damaged PDF page {number} ({type(err).__name__})") from err
            finally:
                page.close()
            if text.strip():
                yield Section(text=text, page=number)


def _read_docx(data: bytes, name: str) -> Iterator[Section]:
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as err:
        raise UnreadableFile("damaged or not a Word .docx file") from err
    heading, lines = "", []
    for para in document.paragraphs:
        style = (para.style.name or "") if para.style is not None else ""
        if style.lower().startswith(("heading", "title", "заголовок")) and para.text.strip():
            if "".join(lines).strip():
                yield Section(text="\n".join(lines), heading=heading)
            heading, lines = para.text.strip(), [para.text.strip()]
        elif para.text.strip():
            lines.append(para.text)
    for table in document.tables:
        rows = [[cell.text.strip() for cell in row.cells] for row in table.rows]
        lines.extend(" | ".join(cells) for cells in rows if any(cells))
    if "".join(lines).strip():
        yield Section(text="\n".join(lines), heading=heading)


def _read_csv(data: bytes, name: str, rows_per_section: int = 20) -> Iterator[Section]:
    """Each row becomes a readable record `column: value; …` so a chunk stands on its own."""
    text = decode_text(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = next(reader, None)
    if not header:
        return
    header = [h.strip() or f"column {i + 1}" for i, h in enumerate(header)]
    batch: list[str] = []
    first_row = 2
    for line_no, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        pairs = [f"{h}: {v.strip()}" for h, v in zip(header, row) if v.strip()]
        batch.append("; ".join(pairs))
        if len(batch) >= rows_per_section:
            yield Section(text="\n".join(batch), extra={"rows": f"{first_row}-{line_no}"})
            batch, first_row = [], line_no + 1
    if batch:
        yield Section(text="\n".join(batch), extra={"rows": f"{first_row}-{first_row + len(batch) - 1}"})


READERS: dict[str, Callable[[bytes, str], Iterator[Section]]] = {
    ".txt": _read_text, ".text": _read_text, ".log": _read_text,
    ".md": _read_markdown, ".markdown": _read_markdown,
    ".pdf": _read_pdf,
    ".docx": _read_docx,
    ".csv": _read_csv, ".tsv": _read_csv,
}


def supported_suffixes() -> list[str]:
    return sorted(READERS)


def read_sections(data: bytes, name: str) -> Iterator[Section]:
    """Yield the sections of file `name` with content `data`; raise UnreadableFile with a reason."""
    suffix = Path(name).suffix.lower()
    reader = READERS.get(suffix)
    if reader is None:
        raise UnreadableFile(f"unsupported file type {suffix or '(none)'}; supported: {', '.join(supported_suffixes())}")
    if not data:
        raise UnreadableFile("empty file (0 bytes)")
    yield from reader(data, name)
