"""PDF: text per page with its page number (pdfplumber places words by geometry, so words keep their spaces);
pages without a text layer go through OCR (tesseract rus+eng) when tesseract is on PATH."""
from __future__ import annotations

import io
import shutil
import subprocess
import threading
from collections.abc import Iterator

from rag.errors import UnreadableFile
from rag.ingest.sections import DEFAULT_READ, ReadOptions, Section

OCR_DPI = 300
_MIN_TEXT_CHARS = 20
# the work per page is bounded: pdfplumber builds an object per character (a page of 100,000 characters on one line
# took 17 s and 420 MB; a megabyte, minutes and gigabytes), so a page whose drawing commands pass this size is read
# by pypdf's linear text extraction instead (1 MB of text: 1.4 s, 50 MB), and no page yields more than a page can
# show (an A4 page in 6-point type holds about 15,000 characters)
MAX_LAYOUT_STREAM_BYTES = 128 * 1024   # the densest real text page seen: 20 KB
MAX_PAGE_CHARS = 50_000


def ocr_available(options: ReadOptions = DEFAULT_READ) -> bool:
    return options.ocr_enabled and shutil.which("tesseract") is not None


def ocr_image_png(png: bytes, langs: str = DEFAULT_READ.ocr_langs, timeout: float = 300) -> str:
    """Run tesseract on one PNG image and return its text."""
    proc = subprocess.run(["tesseract", "stdin", "stdout", "-l", langs, "--psm", "3"], input=png,
                          capture_output=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.decode(errors="replace")[-500:])
    return proc.stdout.decode("utf-8", errors="replace")


# pdfium (pdfplumber's page renderer) is not thread-safe, even across documents: every render in the process, the
# OCR here and the source viewer's pages (rag/viewer/pdf_page.py), holds this lock
PDFIUM_LOCK = threading.Lock()


def _ocr_page(page, langs: str) -> str:
    with PDFIUM_LOCK:
        image = page.to_image(resolution=OCR_DPI).original
    buffer = io.BytesIO()
    image.convert("L").save(buffer, format="PNG")
    return ocr_image_png(buffer.getvalue(), langs)


def _pypdf(data: bytes):
    """(pypdf's reader or None when it cannot open the file, whether it needs a password): an empty user password
    is tried, as viewers do; damaged files are reported by pdfplumber below."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            return None, True
        return reader, False
    except Exception:
        return None, False


def _heavy_page_text(reader, index: int) -> str | None:
    """The text of a page whose drawing commands are too large for pdfplumber's per-character layout, read by
    pypdf instead; None for an ordinary page (or one pypdf cannot read: pdfplumber then tries)."""
    if reader is None:
        return None
    try:
        contents = reader.pages[index].get_contents()
        if contents is None or len(contents.get_data()) <= MAX_LAYOUT_STREAM_BYTES:
            return None
        return reader.pages[index].extract_text() or ""
    except Exception:
        return None


def read_pdf(data: bytes, name: str, options: ReadOptions = DEFAULT_READ) -> Iterator[Section]:
    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    reader, locked = _pypdf(data)
    if locked:
        raise UnreadableFile("encrypted PDF: remove the password and upload again", "encrypted")
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
        pages = pdf.pages  # forces the page tree: broken files fail here, not halfway through
    except (PDFPasswordIncorrect, PDFEncryptionError) as err:
        raise UnreadableFile("encrypted PDF: remove the password and upload again", "encrypted") from err
    except Exception as err:  # pdfminer raises many types on broken files
        if "password" in str(err).lower() or "encrypt" in str(err).lower():
            raise UnreadableFile("encrypted PDF: remove the password and upload again", "encrypted") from err
        raise UnreadableFile(f"damaged or not a PDF ({type(err).__name__})", "damaged") from err
    if not pages:
        pdf.close()
        raise UnreadableFile("PDF without pages", "no_text")
    ocr = ocr_available(options)
    with pdf:
        for number, page in enumerate(pages, start=1):
            notes: list[str] = []
            try:
                text = _heavy_page_text(reader, number - 1)
                if text is not None:
                    notes.append(f"page {number}: more than {MAX_LAYOUT_STREAM_BYTES // 1024} KB of drawing "
                                 "commands; its text was read without layout")
                else:
                    text = page.extract_text(x_tolerance=1.5, y_tolerance=3) or ""
                if len(text) > MAX_PAGE_CHARS:
                    notes.append(f"page {number}: {len(text):,} characters, more than a page can show; only the "
                                 f"first {MAX_PAGE_CHARS:,} were read")
                    text = text[:MAX_PAGE_CHARS]
                if len(text.strip()) < _MIN_TEXT_CHARS and page.images:
                    if not ocr:
                        yield Section(text="", page=number, extra={
                            "warning": f"page {number}: scanned image without text; skipped because OCR is off "
                                       "(install tesseract-ocr and tesseract-ocr-rus)"})
                        continue
                    text = _ocr_page(page, options.ocr_langs)
                    if text.strip():
                        yield Section(text=text, page=number, extra={"ocr": True})
                        continue
            except UnreadableFile:
                raise
            except Exception as err:
                yield Section(text="", page=number, extra={
                    "warning": f"page {number}: could not be read ({type(err).__name__})"})
                continue
            finally:
                page.close()
            if text.strip() or notes:
                yield Section(text=text, page=number, extra={"warning": "; ".join(notes)} if notes else {})
