"""The answer path as LlamaIndex engines, used from plain Python on a real llama.cpp server: the query engine gives
a Response with source_nodes, the chat engine streams and keeps its history, and LlamaIndex's instrumentation sees
the retrieval and the LLM call."""
import asyncio

import pytest
from llama_index.core.base.response.schema import Response
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events.llm import LLMChatEndEvent
from llama_index.core.instrumentation.events.retrieval import RetrievalEndEvent
from pydantic import Field

from rag import LLMUnavailable, build_service

QUESTION = "Сколько критических уязвимостей выявил аудит?"
AUDIT = "protocol_001_audit_committee_meeting.txt"


class Recorder(BaseEventHandler):
    events: list = Field(default_factory=list)

    @classmethod
    def class_name(cls) -> str:
        return "Recorder"

    def handle(self, event, **kwargs) -> None:
        self.events.append(event)


@pytest.fixture
def demo(service_factory, corpus):
    service = service_factory()
    service.ingest_files("demo", [(p.name, p) for p in sorted((corpus / "protocols").glob("*.txt"))[:4]])
    return service


def test_query_engine_gives_a_response_with_source_nodes_and_is_instrumented(demo):
    recorder = Recorder(events=[])
    root = get_dispatcher()
    root.add_event_handler(recorder)
    try:
        response = demo.query_engine("demo").query(QUESTION)
    finally:
        root.event_handlers.remove(recorder)
    assert isinstance(response, Response) and response.response.strip()
    files = [n.node.metadata["file_name"] for n in response.source_nodes]
    assert AUDIT in files and len(files) == len(response.metadata["answer"].sources)
    assert response.metadata["answer"].cited, "the answer's [n] map to its source nodes"
    retrievals = [e for e in recorder.events if isinstance(e, RetrievalEndEvent)]
    assert retrievals and AUDIT in [n.node.metadata["file_name"] for n in retrievals[0].nodes]
    assert any(isinstance(e, LLMChatEndEvent) for e in recorder.events), "the LLM call is seen by instrumentation"


def test_chat_engine_streams_and_keeps_the_conversation(demo):
    chat = demo.chat_engine("demo")
    streaming = chat.stream_chat(QUESTION)
    assert AUDIT in [n.node.metadata["file_name"] for n in streaming.source_nodes]  # known before the first token
    deltas = list(streaming.response_gen)
    assert len(deltas) > 1 and "".join(deltas).strip()
    assert [m.role.value for m in chat.chat_history] == ["user", "assistant"]
    follow_up = asyncio.run(chat.achat("а кто ответственный?"))
    assert follow_up.response.strip() and len(chat.chat_history) == 4
    chat.reset()
    assert chat.chat_history == []


def test_a_dead_llm_raises_the_engines_error(make_settings, corpus):
    service = build_service(make_settings(llm_base_url="http://127.0.0.1:9/v1", llm_model="x"))
    try:
        service.ingest_files("demo", [(AUDIT, corpus / "protocols" / AUDIT)])
        with pytest.raises(LLMUnavailable):
            service.query_engine("demo").query(QUESTION)
        with pytest.raises(LLMUnavailable):
            list(service.chat_engine("demo").stream_chat(QUESTION).response_gen)
    finally:
        service.close()
