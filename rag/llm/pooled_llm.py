"""The pool as a LlamaIndex `LLM`, for LlamaIndex components that take one (the LLM reranker): every call goes
through the pool, so it is balanced, fails over and counts as in flight like an answer."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.llms import LLM
from pydantic import PrivateAttr

from rag.llm.pool import LLMPool


def _user(prompt: str) -> list[ChatMessage]:
    return [ChatMessage(role=MessageRole.USER, content=prompt)]


class PooledLLM(LLM):
    _pool: LLMPool = PrivateAttr()

    def __init__(self, pool: LLMPool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._pool = pool

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(context_window=self._pool.context_window, num_output=self._pool.max_tokens,
                           is_chat_model=True, model_name=self._pool.model or "pool")

    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        text = self._pool.chat(list(messages), kwargs.get("temperature"))
        return ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text))

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return CompletionResponse(text=self.chat(_user(prompt), **kwargs).message.content or "")

    async def astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        async def gen() -> ChatResponseAsyncGen:
            text = ""
            async for delta in self._pool.astream_chat(list(messages), kwargs.get("temperature")):
                text += delta
                yield ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text), delta=delta)
        return gen()

    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        last = ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=""))
        async for response in await self.astream_chat(messages, **kwargs):
            last = response
        return last

    async def acomplete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return CompletionResponse(text=(await self.achat(_user(prompt), **kwargs)).message.content or "")

    async def astream_complete(self, prompt: str, formatted: bool = False,
                               **kwargs: Any) -> CompletionResponseAsyncGen:
        async def gen() -> CompletionResponseAsyncGen:
            async for r in await self.astream_chat(_user(prompt), **kwargs):
                yield CompletionResponse(text=r.message.content or "", delta=r.delta)
        return gen()

    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        yield self.chat(messages, **kwargs)   # the pool's sync path gives whole replies

    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        yield self.complete(prompt, formatted, **kwargs)
