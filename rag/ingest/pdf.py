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


def _is_locked(data: bytes) -> bool:
    """True for a PDF that needs a password to open (an empty user password is tried, as viewers do)."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        return bool(reader.is_encrypted) and not reader.decrypt("")
    except Exception:
        return False  # damaged files are reported by the parser below


def read_pdf(data: bytes, name: str, options: ReadOptions = DEFAULT_READ) -> Iterator[Section]:
    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    if _is_locked(data):
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
            try:
                text = page.extract_text(x_tolerance=1.5, y_tolerance=3) or ""
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
            if text.strip():
                yield Section(text=text, page=number)
