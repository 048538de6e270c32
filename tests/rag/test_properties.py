"""Properties that must hold for any input (hypothesis, bounded examples): the file-name sanitiser never yields a
path outside its folder; the space-name validator accepts exactly the names it promises; a clipped heading is
within its limit; the citation parser returns each in-range number once, in order."""
import os
from pathlib import PurePosixPath

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rag.answer.citations import cited_numbers
from rag.errors import InvalidSpaceName
from rag.ingest.chunking import MAX_HEADING_CHARS, clip_heading
from rag.ingest.naming import clean_file_name
from rag.store.qdrant_store import validate_space_name

NAMES = st.text(alphabet=st.characters(codec="utf-8"), max_size=400) | st.lists(
    st.sampled_from(["..", ".", "/", "\\", "a", "отчёт", "~", ".hidden", "\x00", " ", "C:", "//", "\u202e"]),
    max_size=30).map("".join)
EXAMPLES = settings(max_examples=400, deadline=None)


@EXAMPLES
@given(NAMES)
def test_a_cleaned_file_name_stays_inside_its_folder(name):
    clean = clean_file_name(name)
    path = PurePosixPath(clean)
    assert clean and not path.is_absolute() and ".." not in path.parts and len(clean) <= 240
    assert not any(part.startswith(".") for part in path.parts)
    assert not any(ord(ch) < 32 or ch == "\x7f" for ch in clean)
    resolved = os.path.normpath(os.path.join("/base", clean))
    assert resolved.startswith("/base/") or resolved == "/base"


@EXAMPLES
@given(st.text(max_size=100))
def test_the_space_name_validator_accepts_exactly_what_it_promises(name):
    try:
        clean = validate_space_name(name)
    except InvalidSpaceName:
        stripped = name.strip()
        assert (not stripped or len(stripped) > 64 or "/" in stripped or "\\" in stripped
                or any(ord(ch) < 32 for ch in stripped))
        return
    assert clean == name.strip() and 1 <= len(clean) <= 64
    assert "/" not in clean and "\\" not in clean and not any(ord(ch) < 32 for ch in clean)


@EXAMPLES
@given(st.text(max_size=20_000))
def test_a_clipped_heading_is_within_its_limit(heading):
    clipped = clip_heading(heading)
    assert len(clipped) <= MAX_HEADING_CHARS and "\n" not in clipped
    if len(" ".join(heading.split())) <= MAX_HEADING_CHARS:
        assert clipped == " ".join(heading.split())


@EXAMPLES
@given(st.text(alphabet=st.sampled_from("[]0123456789 аб.x"), max_size=300), st.integers(0, 30))
def test_the_citation_parser_returns_each_valid_number_once_in_order(answer, count):
    found = cited_numbers(answer, count)
    assert len(found) == len(set(found)) and all(1 <= n <= count for n in found)
    expected = []
    for i in range(len(answer)):
        for width in (1, 2):
            token = answer[i:i + width + 2]
            if token.startswith("[") and token.endswith("]") and token[1:-1].isdigit() and len(token) == width + 2:
                n = int(token[1:-1])
                if 1 <= n <= count and n not in expected:
                    expected.append(n)
    assert found == expected


@pytest.mark.parametrize("name", ["../../etc/passwd", "/etc/passwd", "C:\\Windows\\system.ini", "..\\..\\x"])
def test_known_escapes_are_cleaned(name):
    assert not PurePosixPath(clean_file_name(name)).is_absolute() and ".." not in clean_file_name(name)
