"""Sentence-aware chunking sized in the embedder's own tokens, so no chunk is silently truncated."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath

from llama_index.core.node_parser import SentenceSplitter

from rag.ingest.sections import Section

# metadata every chunk carries; none of it is fed to the embedder or the LLM prompt verbatim
CHUNK_METADATA_KEYS = ("space", "file_name", "page", "content_hash", "heading", "chunk_index", "rows", "file_type",
                       "ocr", "attachment", "title")

# room for the "passage: " prefix and special tokens the embedder adds
_RESERVED_TOKENS = 16
DEFAULT_CHUNK_TOKENS = 480


@dataclass
class Chunk:
    text: str
    page: int | None
    heading: str
    extra: dict


_TITLE_CHARS = 160
_WORDY = re.compile(r"\w{2,}")


def document_title(text: str) -> str:
    """A document's title line: its first lines that hold words, up to about 60 characters of them (at most three
    lines, at most 160 characters). In a memo, chat log or spec that is the kind and the subject ("ТЕХНИЧЕСКАЯ
    СПЕЦИФИКАЦИЯ | Тема: Инновации"); a chunk from page 5 of it says neither."""
    lines: list[str] = []
    for line in (text or "").splitlines():
        line = " ".join(line.split())
        if not _WORDY.search(line):
            continue
        lines.append(line)
        if sum(map(len, lines)) >= 60 or len(lines) >= 3:
            break
    return " | ".join(lines)[:_TITLE_CHARS]


def file_words(file_name: str) -> str:
    """The words of a file name: `email_thread_010_international_expansion.txt` -> `email thread international
    expansion`. File names often name the subject, and in English even when the text is Russian."""
    stem = PurePosixPath(file_name).stem
    return " ".join(w for w in re.split(r"[\W_]+", stem) if w and not w.isdigit())


MAX_HEADING_CHARS = 200    # a heading is context for every chunk under it: a 10 KB "heading" would be embedded
                           # again with each chunk (a 26 KB file took 390 s instead of 20)


def clip_heading(heading: str) -> str:
    """A section heading as chunks carry it: whitespace collapsed, at most MAX_HEADING_CHARS characters."""
    heading = " ".join((heading or "").split())
    return heading if len(heading) <= MAX_HEADING_CHARS else heading[:MAX_HEADING_CHARS - 1].rstrip() + "…"


def embed_text(text: str, heading: str, title: str = "") -> str:
    """What the embedder sees: the document's title and the chunk's heading (each unless the chunk already starts
    with it; the heading clipped), then the chunk."""
    heading = clip_heading(heading)
    if heading and title.endswith(heading):
        heading = ""  # the title line already ends with it
    lead = [part for part in (title, heading) if part and not text.startswith(part)]
    return "\n".join([*lead, text])


def sparse_text(text: str, heading: str, title: str, file_name: str) -> str:
    """What the sparse (BM25) vector is built from: the embedded text plus the file name's words."""
    return f"{file_words(file_name)}\n{embed_text(text, heading, title)}"


class _TokenCounter(list):
    """SentenceSplitter only takes len() of its tokenizer's output; report the real count without building it."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self._n = n

    def __len__(self) -> int:
        return self._n


class Chunker:
    def __init__(self, count_tokens: Callable[[str], int], max_tokens: int, chunk_size: int = 0,
                 chunk_overlap: int = 48) -> None:
        limit = max(32, max_tokens - _RESERVED_TOKENS)
        self.chunk_size = min(chunk_size or DEFAULT_CHUNK_TOKENS, limit)
        self.chunk_overlap = min(chunk_overlap, self.chunk_size // 4)
        self._splitter = SentenceSplitter(chunk_size=self.chunk_size, chunk_overlap=self.chunk_overlap,
                                          tokenizer=lambda text: _TokenCounter(count_tokens(text)),
                                          paragraph_separator="\n\n")

    def split(self, sections: Iterable[Section]) -> list[Chunk]:
        chunks: list[Chunk] = []
        for section in sections:
            text = section.text.strip()
            if not text:
                continue
            for piece in self._splitter.split_text(text):
                if piece.strip():
                    chunks.append(Chunk(text=piece.strip(), page=section.page, heading=clip_heading(section.heading),
                                        extra=dict(section.extra)))
        return chunks
