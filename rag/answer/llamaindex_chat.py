"""LlamaIndex's chat engine interface (`chat`, `achat`, `stream_chat`, `astream_chat`, `reset`, `chat_history`)
built on the engine's typed answer events, so a LlamaIndex user gets the same answers, with `source_nodes`, and a
failed answer raises its error (LLMUnavailable, ...)."""
from __future__ import annotations

from collections.abc import AsyncIterator

from llama_index.core.base.llms.types import ChatMessage, ChatResponse, MessageRole
from llama_index.core.chat_engine.types import AgentChatResponse, BaseChatEngine, StreamingAgentChatResponse
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.schema import NodeWithScore

from rag.answer.sync_bridge import iterate_sync, run_sync
from rag.errors import ERRORS_BY_CODE, LLMError
from rag.types import Answer, AnswerDone, AnswerEvent, Generation, SourcesFound, Token

dispatcher = get_dispatcher(__name__)


class LlamaIndexChat(BaseChatEngine):
    """The LlamaIndex methods; a subclass gives `astream_events`, `answer` and `last_nodes`."""
    _history: list[ChatMessage]
    last_nodes: list[NodeWithScore]

    def astream_events(self, question: str, history: list | None = None,
                       generation: Generation | None = None) -> AsyncIterator[AnswerEvent]:
        raise NotImplementedError

    async def answer(self, question: str, history: list | None = None,
                     generation: Generation | None = None) -> Answer:
        raise NotImplementedError

    def _history_for(self, chat_history: list[ChatMessage] | None) -> list[ChatMessage]:
        return self._history if chat_history is None else list(chat_history)

    def _remember(self, question: str, text: str, chat_history: list[ChatMessage] | None) -> None:
        if chat_history is not None:
            self._history = list(chat_history)
        self._history += [ChatMessage(role=MessageRole.USER, content=question),
                          ChatMessage(role=MessageRole.ASSISTANT, content=text)]

    @staticmethod
    def _raise_for(answer: Answer) -> None:
        if answer.error_code:
            raise ERRORS_BY_CODE.get(answer.error_code, LLMError)(answer.error or answer.answer)

    @dispatcher.span
    async def achat(self, message: str, chat_history: list[ChatMessage] | None = None) -> AgentChatResponse:
        """The answer with its source nodes; an answer that failed raises its error (LLMUnavailable, ...)."""
        answer = await self.answer(message, self._history_for(chat_history))
        self._raise_for(answer)
        self._remember(message, answer.answer, chat_history)
        return AgentChatResponse(response=answer.answer, source_nodes=list(self.last_nodes),
                                 metadata={"answer": answer})

    @dispatcher.span
    def chat(self, message: str, chat_history: list[ChatMessage] | None = None) -> AgentChatResponse:
        return run_sync(self.achat(message, chat_history))

    def _as_response(self, event: AnswerEvent, text: str, message: str,
                     chat_history: list[ChatMessage] | None) -> ChatResponse | None:
        """A token as LlamaIndex's streamed ChatResponse (`text`: the answer so far, this token included); the done
        event raises a failed answer's error or records the exchange in the history."""
        if isinstance(event, AnswerDone):
            self._raise_for(event.answer)
            self._remember(message, event.answer.answer, chat_history)
        elif isinstance(event, Token):
            return ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text), delta=event.text)
        return None

    @dispatcher.span
    async def astream_chat(self, message: str,
                           chat_history: list[ChatMessage] | None = None) -> StreamingAgentChatResponse:
        """Retrieves first (so `source_nodes` is set), then streams the answer's deltas; a failure raises."""
        events = self.astream_events(message, self._history_for(chat_history))
        first = await anext(events)
        nodes = list(self.last_nodes) if isinstance(first, SourcesFound) else []

        async def deltas():
            text = ""
            async for event in events:
                text += event.text if isinstance(event, Token) else ""
                if (response := self._as_response(event, text, message, chat_history)) is not None:
                    yield response

        return StreamingAgentChatResponse(achat_stream=deltas(), source_nodes=nodes, is_writing_to_memory=False)

    @dispatcher.span
    def stream_chat(self, message: str,
                    chat_history: list[ChatMessage] | None = None) -> StreamingAgentChatResponse:
        """The same, for sync callers: the events come from the background loop (rag/answer/sync_bridge.py)."""
        stream = iterate_sync(lambda: self.astream_events(message, self._history_for(chat_history)))
        first = next(stream)
        nodes = list(self.last_nodes) if isinstance(first, SourcesFound) else []

        def deltas():
            text = ""
            for event in stream:
                text += event.text if isinstance(event, Token) else ""
                if (response := self._as_response(event, text, message, chat_history)) is not None:
                    yield response

        return StreamingAgentChatResponse(chat_stream=deltas(), source_nodes=nodes, is_writing_to_memory=False)

    def reset(self) -> None:
        self._history = []

    @property
    def chat_history(self) -> list[ChatMessage]:
        return list(self._history)


