"""Office Open XML readers: Word (headings kept as section metadata), PowerPoint (the slide number is the page),
Excel (rows become records named by the header row)."""
from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

from rag.errors import UnreadableFile
from rag.ingest.readers import rows_as_records, too_many_rows
from rag.ingest.sections import DEFAULT_READ, ReadOptions, Section

_BROKEN = (zipfile.BadZipFile, KeyError, ValueError, OSError)


def read_docx(data: bytes, name: str, options: ReadOptions = DEFAULT_READ) -> Iterator[Section]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, *_BROKEN) as err:
        raise UnreadableFile("damaged or not a Word .docx file", "damaged") from err
    heading, lines = "", list[str]()
    for para in document.paragraphs:
        text = para.text.strip()
        if not text:
            continue
        style = (para.style.name or "").lower() if para.style is not None else ""
        if style.startswith(("heading", "title", "заголовок")):
            if lines:
                yield Section(text="\n".join(lines), heading=heading)
            heading, lines = text, [text]
        else:
            lines.append(para.text)
    for table in document.tables:
        rows = [[cell.text.strip() for cell in row.cells] for row in table.rows]
        lines.extend(" | ".join(cells) for cells in rows if any(cells))
    if lines:
        yield Section(text="\n".join(lines), heading=heading)


def _shape_text(shape) -> list[str]:
    out: list[str] = []
    if getattr(shape, "has_text_frame", False) and shape.has_text_frame:
        out.extend(p for p in (para.text.strip() for para in shape.text_frame.paragraphs) if p)
    if getattr(shape, "has_table", False) and shape.has_table:
        for row in shape.table.rows:
            cells = [cell.text.strip() for cell in row.cells]
            if any(cells):
                out.append(" | ".join(cells))
    for child in getattr(shape, "shapes", []) or []:  # group shapes
        out.extend(_shape_text(child))
    return out


def read_pptx(data: bytes, name: str, options: ReadOptions = DEFAULT_READ) -> Iterator[Section]:
    from pptx import Presentation
    from pptx.exc import PackageNotFoundError

    try:
        deck = Presentation(io.BytesIO(data))
    except (PackageNotFoundError, *_BROKEN) as err:
        raise UnreadableFile("damaged or not a PowerPoint .pptx file", "damaged") from err
    for number, slide in enumerate(deck.slides, start=1):
        title_shape = slide.shapes.title
        title = title_shape.text.strip() if title_shape is not None and title_shape.has_text_frame else ""
        lines = [line for shape in slide.shapes for line in _shape_text(shape)]
        if slide.has_notes_slide:
            notes = slide.notes_slide.notes_text_frame.text.strip() if slide.notes_slide.notes_text_frame else ""
            if notes:
                lines.append(notes)
        if lines:
            yield Section(text="\n".join(lines), page=number, heading=title)


def read_xlsx(data: bytes, name: str, options: ReadOptions = DEFAULT_READ) -> Iterator[Section]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (*_BROKEN, TypeError) as err:
        raise UnreadableFile("damaged or not an Excel .xlsx file", "damaged") from err
    try:
        for sheet in book.worksheets:
            declared = getattr(sheet, "max_row", None)      # the sheet's own dimension, when it states one
            if isinstance(declared, int) and declared - 1 > options.max_table_rows:
                raise too_many_rows(declared - 1, options.max_table_rows, sheet.title)
            rows = ((i, list(r)) for i, r in enumerate(sheet.iter_rows(values_only=True), start=1))
            header = None
            for _, row in rows:
                if any(v not in (None, "") for v in row):
                    header = row
                    break
            if header is not None:
                yield from rows_as_records(header, rows, sheet=sheet.title, limit=options.max_table_rows)
    finally:
        book.close()
