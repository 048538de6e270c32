"""The source viewer: show the passage an answer cited, in its file. A PDF gives its page rendered as PNG with
boxes over the passage's words (`PageView`); every other format gives the passage in its surrounding text with a
location label (`TextView`).

    view = source_view(original_bytes, source.file, source.page, source.text, lang="ru")
"""
from __future__ import annotations

from pathlib import PurePosixPath

from rag.viewer.pdf_page import pdf_page_view
from rag.viewer.text_context import text_view
from rag.viewer.types import Box, PageView, TextView

__all__ = ["Box", "PageView", "TextView", "pdf_page_view", "source_view", "text_view"]


def source_view(data: bytes, file: str, page: int | None, passage: str, lang: str = "en") -> PageView | TextView:
    """The view of cited chunk `passage` in the original bytes `data` of file `file` (its suffix picks the format),
    from 1-based page `page` when known. Raises rag.errors.UnreadableFile for bytes that cannot be read."""
    if PurePosixPath(file.replace("\\", "/")).suffix.lower() == ".pdf":
        return pdf_page_view(data, file, page, passage)
    return text_view(data, file, page, passage, lang)
