"""Sentence-aware chunking sized in the embedder's own tokens, so no chunk is silently truncated."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from llama_index.core.node_parser import SentenceSplitter

from rag.ingest.sections import Section

# metadata every chunk carries; none of it is fed to the embedder or the LLM prompt verbatim
CHUNK_METADATA_KEYS = ("space", "file_name", "page", "content_hash", "heading", "chunk_index", "rows", "file_type",
                       "ocr", "attachment")

# room for the "passage: " prefix and special tokens the embedder adds
_RESERVED_TOKENS = 16
DEFAULT_CHUNK_TOKENS = 320


@dataclass
class Chunk:
    text: str
    page: int | None
    heading: str
    extra: dict


def embed_text(text: str, heading: str) -> str:
    """What the embedder sees: the chunk, with its heading when the chunk does not already start with it."""
    if heading and not text.startswith(heading):
        return f"{heading}\n{text}"
    return text


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
                    chunks.append(Chunk(text=piece.strip(), page=section.page, heading=section.heading,
                                        extra=dict(section.extra)))
        return chunks
