"""The source viewer for PDFs: the cited page rendered as PNG, with boxes over the cited passage's words.

Words come from pdfplumber with the tolerances ingestion uses (rag/ingest/pdf.py), so a chunk's words are the
page's words; the boxes cover the runs of page words that match the passage in order (see match.py), merged into
one box per line. pdfium (pypdfium2) counts the pages, searches the page texts cheaply when the page is unknown or
does not hold the passage, and renders. pdfium is not thread-safe, not even across documents, so every call into
it here holds `PDFIUM_LOCK` (rag/ingest/pdf.py: the OCR renders pages under the same lock).

Bounded work: with a known page that holds the passage only that page is parsed (pdfium's text search over the
other pages runs only when it does not), and a render is at most `RENDER_MAX_PX` on its long side.

Scanned pages (no text layer): ingestion OCRs them with tesseract, and so does the viewer when the passage is not
found in a text layer (rag/viewer/ocr_words.py: tesseract's word boxes on the page rendered at OCR_RESOLUTION);
without tesseract such a page is shown without boxes and with found=False.
"""
from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rag.errors import UnreadableFile
from rag.ingest import guards
from rag.ingest.pdf import PDFIUM_LOCK
from rag.viewer.match import FOUND_SHARE, best_runs, overlap_share, tokens
from rag.viewer.ocr_words import ocr_words
from rag.viewer.types import Box, PageView

RENDER_MAX_PX = 1600
OCR_RESOLUTION = 200   # dpi of the image OCR reads for a scanned page's word boxes
CANDIDATES = 3     # pages the cheap search hands to the word matcher
_PAD = 1.0         # points of margin around each line box
_TOLERANCE = {"x_tolerance": 1.5, "y_tolerance": 3}  # as rag/ingest/pdf.py extracts text


@dataclass
class _Hit:
    number: int
    share: float
    boxes: list[Box] = field(default_factory=list)


def _open_pdfium(data: bytes) -> Any:
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as err:
        if "password" in str(err).lower():
            raise UnreadableFile("encrypted PDF: remove the password and upload again", "encrypted") from err
        raise UnreadableFile(f"damaged or not a PDF ({err})", "damaged") from err


def _page_count(data: bytes) -> int:
    with PDFIUM_LOCK:
        doc = _open_pdfium(data)
        try:
            return len(doc)
        finally:
            doc.close()


def _page_texts(data: bytes, skip: int | None) -> list[tuple[int, str]]:
    texts: list[tuple[int, str]] = []
    with PDFIUM_LOCK:
        doc = _open_pdfium(data)
        try:
            for index in range(len(doc)):
                if index + 1 == skip:
                    continue
                page = doc[index]
                textpage = page.get_textpage()
                try:
                    texts.append((index + 1, textpage.get_text_range()))
                finally:
                    textpage.close()
                    page.close()
        finally:
            doc.close()
    return texts


def _candidates(data: bytes, want: Sequence[str], skip: int | None) -> list[int]:
    """Pages whose text holds most of the passage's words (bag of words), best first."""
    scored = sorted(((overlap_share(want, tokens(text)), number) for number, text in _page_texts(data, skip)),
                    key=lambda item: (-item[0], item[1]))
    return [number for share, number in scored[:CANDIDATES] if share >= FOUND_SHARE]


def _line_boxes(words: list[dict], bbox: tuple[float, float, float, float]) -> list[Box]:
    """One box per line: consecutive words that share a line and sit next to each other are merged."""
    lines: list[list[float]] = []
    for word in words:
        x0, top, x1, bottom = (float(word[key]) for key in ("x0", "top", "x1", "bottom"))
        if lines:
            cur = lines[-1]
            height = max(1.0, min(bottom - top, cur[3] - cur[1]))
            overlap = min(bottom, cur[3]) - max(top, cur[1])
            if overlap >= 0.5 * height and -height <= x0 - cur[2] <= 2 * height:
                cur[:] = [min(cur[0], x0), min(cur[1], top), max(cur[2], x1), max(cur[3], bottom)]
                continue
        lines.append([x0, top, x1, bottom])
    left, upper, right, lower = bbox
    width, height = max(1e-6, right - left), max(1e-6, lower - upper)

    def fx(x: float) -> float:
        return min(1.0, max(0.0, (x - left) / width))

    def fy(y: float) -> float:
        return min(1.0, max(0.0, (y - upper) / height))

    return [Box(x0=fx(x0 - _PAD), top=fy(top - _PAD), x1=fx(x1 + _PAD), bottom=fy(bottom + _PAD))
            for x0, top, x1, bottom in lines]


def _hit(number: int, words: list[dict], want: Sequence[str], bbox: tuple[float, float, float, float]) -> _Hit:
    page_tokens: list[str] = []
    owner: list[int] = []  # the page word each token comes from
    for i, word in enumerate(words):
        for tok in tokens(str(word["text"])):
            page_tokens.append(tok)
            owner.append(i)
    runs, share = best_runs(want, page_tokens)
    if share < FOUND_SHARE:
        return _Hit(number, share)
    chosen = sorted({i for run in runs for i in range(owner[run.start], owner[run.end - 1] + 1)})
    return _Hit(number, share, _line_boxes([words[i] for i in chosen], bbox))


def _locate(data: bytes, numbers: list[int], want: Sequence[str], scanned: list[int] | None = None) -> _Hit | None:
    """The page among `numbers` that best holds the passage, with the boxes of its words there; the pages without
    a text layer are added to `scanned`."""
    import pdfplumber

    try:
        pdf = pdfplumber.open(io.BytesIO(data), pages=numbers)
        pages = pdf.pages
    except Exception as err:  # pdfminer raises many types on broken files
        raise UnreadableFile(f"damaged or not a PDF ({type(err).__name__})", "damaged") from err
    best: _Hit | None = None
    with pdf:
        for page in pages:
            try:
                words = page.extract_words(**_TOLERANCE)
                if not words and scanned is not None:
                    scanned.append(page.page_number)
                hit = _hit(page.page_number, words, want, page.bbox)
            except Exception:
                continue  # a page pdfminer cannot parse is not where the passage is shown
            finally:
                page.close()
            if best is None or hit.share > best.share:
                best = hit
    return best


def _render(data: bytes, number: int, resolution: float) -> tuple[bytes, int, int]:
    import pypdfium2 as pdfium
    from PIL import Image

    with PDFIUM_LOCK:
        doc = _open_pdfium(data)
        try:
            page = doc[number - 1]
            try:
                width, height = page.get_size()
                # pdfium rounds pixel sizes up: a hair under the bound keeps the long side at RENDER_MAX_PX
                scale = min(max(resolution, 1.0) / 72, RENDER_MAX_PX / max(width, height, 1.0)) * (1 - 1e-6)
                bitmap = page.render(scale=scale)
                try:
                    image = bitmap.to_pil().convert("RGB")  # a copy: the bitmap's buffer is freed below
                finally:
                    bitmap.close()
            finally:
                page.close()
        except pdfium.PdfiumError as err:
            raise UnreadableFile(f"page {number} of the PDF cannot be rendered ({err})", "damaged") from err
        finally:
            doc.close()
    # 256 colours: a text page looks the same and its PNG is about 4 times smaller (50 KB instead of 200 KB at A4
    # and 100 dpi); a photo gets some banding, which a page shown to find a passage can take
    buffer = io.BytesIO()
    image.quantize(colors=256, method=Image.Quantize.FASTOCTREE).save(buffer, format="PNG")
    return buffer.getvalue(), image.width, image.height


def pdf_page_view(data: bytes, file: str, page: int | None, passage: str, resolution: int = 100) -> PageView:
    """Render the page of PDF `data` that holds `passage` (a cited chunk) with boxes over its words. `page` is
    where the chunk came from (1-based, clamped to the file); when it is None or does not hold the passage, the
    other pages are searched and the best is shown. Nowhere found: the asked page (or page 1), found=False, no
    boxes. Raises UnreadableFile for bytes that are not a readable PDF."""
    if not data:
        raise UnreadableFile("empty file (0 bytes)", "empty")
    guards.check_content_matches(data, ".pdf")
    pages = _page_count(data)
    if not pages:
        raise UnreadableFile("PDF without pages", "no_text")
    want = tokens(passage)
    asked = min(max(page, 1), pages) if page is not None else None
    scanned: list[int] = []
    hit = _locate(data, [asked], want, scanned) if asked is not None else None
    if want and (hit is None or hit.share < FOUND_SHARE):
        others = _candidates(data, want, skip=asked)
        other = _locate(data, others, want) if others else None
        if other is not None and (hit is None or other.share > hit.share):
            hit = other
    found = hit is not None and hit.share >= FOUND_SHARE and bool(hit.boxes)
    number = hit.number if found and hit is not None else (asked or 1)
    png, width, height = _render(data, number, resolution)
    if not found and want and number in scanned:   # a scan: its words come from OCR of the page image
        scan, scan_width, scan_height = _render(data, number, OCR_RESOLUTION)   # boxes: fractions of this image
        hit = _hit(number, ocr_words(scan), want, (0.0, 0.0, float(scan_width), float(scan_height)))
        found = hit.share >= FOUND_SHARE and bool(hit.boxes)
    return PageView(file=file, page=number, pages=pages, png=png, width=width, height=height,
                    boxes=hit.boxes if found and hit is not None else [], found=found)
