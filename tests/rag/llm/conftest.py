"""Several scripted OpenAI-compatible endpoints in-process (tests.support.fault_llm), each answering its own text."""
import pytest

from tests.support.fault_llm import serve_named_stubs


@pytest.fixture
def two():
    with serve_named_stubs(2) as stubs:
        yield stubs


@pytest.fixture
def three():
    with serve_named_stubs(3) as stubs:
        yield stubs
