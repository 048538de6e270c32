"""hypothesis properties of the chunker, with the real embedder's tokenizer: on any text (Russian, English,
digits, punctuation, long words, paragraph breaks), no text is lost, nothing is repeated beyond the overlap, and
every chunk is within the chunk size and so within the embedder's token limit."""
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rag.ingest.chunking import Chunker
from rag.ingest.sections import Section

WORD = st.text(alphabet="абвгдеёжзиклмнопрстуфхцчшщыэюяАБВabcdefghijklmnopqrstuvwxyz0123456789-%№",
               min_size=1, max_size=30)
SENTENCE = st.lists(WORD, min_size=1, max_size=25).map(" ".join).map(lambda s: s + st_end(s))
TEXT = st.lists(st.tuples(SENTENCE, st.sampled_from([" ", " ", "\n", "\n\n"])), min_size=1, max_size=60).map(
    lambda parts: "".join(sentence + gap for sentence, gap in parts))


def st_end(sentence: str) -> str:
    return ".!?;"[len(sentence) % 4]


@pytest.fixture(scope="module")
def chunker(embedder):
    return Chunker(embedder.count_tokens, embedder.max_tokens, chunk_size=64, chunk_overlap=16)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=TEXT)
def test_no_text_is_lost_or_repeated_beyond_the_overlap_and_every_chunk_fits(chunker, embedder, text):
    chunks = [c.text for c in chunker.split([Section(text=text)])]
    whole = squeeze(text)
    assert chunks or not whole
    start, end = -1, 0            # where the previous chunk sits in the text, without its whitespace
    for chunk in chunks:
        assert embedder.count_tokens(chunk) <= chunker.chunk_size <= embedder.max_tokens
        piece = squeeze(chunk)
        at = whole.rfind(piece, start + 1, end + len(piece))  # after the previous start, no gap: the latest such
        assert at != -1 and at <= end, ("text lost or out of order", chunk[:80])
        overlap = whole[at:end]
        assert embedder.count_tokens(overlap) <= chunker.chunk_overlap + 8, ("repeated beyond the overlap", overlap)
        start, end = at, at + len(piece)
    assert end == len(whole), "the end of the text was lost"
