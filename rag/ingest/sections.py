"""What readers produce: sections of clean text with a page (or slide) number and the heading above them."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from rag.errors import UnreadableFile

SLICE_CHARS = 100_000  # long texts are handed on in slices, so one huge line never sits in memory twice


@dataclass(frozen=True)
class ReadOptions:
    """How files are read, from the settings: OCR of pages without a text layer (OCR_ENABLED, OCR_LANGS), and the
    most rows one table may hold (MAX_TABLE_ROWS)."""
    ocr_enabled: bool = True
    ocr_langs: str = "rus+eng"
    max_table_rows: int = 50_000
    depth: int = 0      # how deep inside attached files this one is (an e-mail attached to an e-mail is 1)


DEFAULT_READ = ReadOptions()


@dataclass
class Section:
    text: str
    page: int | None = None          # 1-based page (PDF) or slide (PPTX); None for formats without pages
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
        raise UnreadableFile("binary content: not a text file", "wrong_type")
    return data.decode(best.encoding, errors="replace")


def slices(text: str, size: int = SLICE_CHARS) -> Iterator[str]:
    """Cut a long text into pieces of about `size` characters, at a line break or a space where possible."""
    start = 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            cut = max(text.rfind("\n", start + size // 2, end), text.rfind(" ", start + size // 2, end))
            end = cut + 1 if cut > start else end
        yield text[start:end]
        start = end
