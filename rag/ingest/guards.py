"""Checks that run before a reader touches a file: the content must match the extension, and zip-based Office
files must not expand into a bomb."""
from __future__ import annotations

import io
import zipfile

from rag.errors import UnreadableFile

MAX_UNZIPPED_BYTES = 512 * 1024 * 1024      # total uncompressed size of an Office zip
MAX_ZIP_RATIO = 200                         # uncompressed / compressed, over the whole archive
MAX_ZIP_MEMBERS = 20_000
MAX_XML_PART_BYTES = 48 * 1024 * 1024       # one XML part, expanded: the readers hold its whole tree in memory, at
                                            # tens of bytes per byte (106 MB of empty paragraphs took 6 GB)

_MAGIC = [
    (b"%PDF", "PDF document"), (b"\x89PNG\r\n\x1a\n", "PNG image"), (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF8", "GIF image"), (b"PK\x03\x04", "zip archive (or Office document)"), (b"MZ", "Windows executable"),
    (b"\x7fELF", "Linux executable"), (b"\xd0\xcf\x11\xe0", "legacy Office (OLE) document"),
    (b"Rar!", "RAR archive"), (b"\x1f\x8b", "gzip archive"), (b"7z\xbc\xaf", "7-Zip archive"),
]
_ZIP_FORMATS = {".docx", ".pptx", ".xlsx"}
_LINE_FORMATS = {".txt", ".text", ".log", ".md", ".markdown", ".csv", ".tsv"}
MAX_LINE_CHARS = 1_000_000  # a "line" longer than this is a data dump, not a document


def sniff(data: bytes) -> str | None:
    """What the first bytes say the content is, or None for text and unknown content."""
    for magic, label in _MAGIC:
        if data.startswith(magic):
            return label
    return None


def check_content_matches(data: bytes, suffix: str) -> None:
    kind = sniff(data[:16])
    if suffix == ".pdf" and not data[:1024].lstrip().startswith(b"%PDF"):
        found = f"it is a {kind}" if kind else "it does not start like a PDF"
        raise UnreadableFile(f"not a real PDF: {found}; rename it to its real type", "wrong_type")
    if suffix in _ZIP_FORMATS and not data.startswith(b"PK\x03\x04"):
        if kind == "legacy Office (OLE) document":
            raise UnreadableFile(f"legacy binary Office file saved as {suffix}: re-save it as {suffix}", "wrong_type")
        raise UnreadableFile(f"not a real {suffix} file" + (f": it is a {kind}" if kind else ""), "wrong_type")
    if suffix in _ZIP_FORMATS:
        check_zip(data, suffix)
    if suffix in _LINE_FORMATS:
        check_line_lengths(data)
    if kind and suffix not in _ZIP_FORMATS | {".pdf", ".eml"} and kind != "zip archive (or Office document)":
        raise UnreadableFile(f"the {suffix} file holds a {kind}, not text", "wrong_type")


def check_zip(data: bytes, suffix: str = ".docx") -> None:
    """Refuse archives that expand too far (zip bombs) or that are not valid zips at all."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError) as err:
        raise UnreadableFile(f"damaged {suffix} file (its zip container is broken)", "damaged") from err
    if len(members) > MAX_ZIP_MEMBERS:
        raise UnreadableFile(f"{suffix} file has {len(members)} parts: refusing a probable zip bomb", "zip_bomb")
    largest = max((m for m in members if m.filename.lower().endswith(".xml")), key=lambda m: m.file_size,
                  default=None)
    if largest is not None and largest.file_size > MAX_XML_PART_BYTES:
        raise UnreadableFile(f"{suffix} part {largest.filename} expands to {largest.file_size / 1048576:.0f} MB; "
                             f"one part may hold {MAX_XML_PART_BYTES / 1048576:.0f} MB (more takes gigabytes of "
                             f"memory to read): refusing a probable zip bomb; split the document", "zip_bomb")
    unzipped = sum(m.file_size for m in members)
    if unzipped > MAX_UNZIPPED_BYTES or unzipped > MAX_ZIP_RATIO * max(1, len(data)):
        raise UnreadableFile(f"{suffix} file would expand to {unzipped / 1048576:.0f} MB from "
                             f"{len(data) / 1048576:.1f} MB: refusing a probable zip bomb", "zip_bomb")


def check_line_lengths(data: bytes, limit: int = MAX_LINE_CHARS) -> None:
    """Refuse text whose longest line runs past `limit` bytes: one endless line is a dump, not a document, and
    would take hours to embed."""
    pos, end = 0, len(data)
    if end <= limit:
        return
    while pos < end:
        nxt = data.find(b"\n", pos)
        nxt = end if nxt == -1 else nxt
        if nxt - pos > limit:
            raise UnreadableFile(f"one line of {(nxt - pos) / 1048576:.1f} MB without line breaks: this looks like a "
                                 "data dump, not a document; split it into lines or paragraphs", "too_large")
        pos = nxt + 1
