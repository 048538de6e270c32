"""The shapes of the OpenAI-compatible route (/v1/models, /v1/chat/completions), as OpenAI documents them, plus
one documented extra: `sources` (and `cited`), the numbered excerpts the answer cites as [n]. They ride in the
response body, or in the final chunk of a stream; plain OpenAI clients ignore them (the official Python client
keeps them in `model_extra`). Unknown request parameters (top_p, seed, user, ...) are accepted and ignored."""
from __future__ import annotations

import time
import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from rag import Source, Usage


class TextPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str = "text"
    text: str = ""


class ChatMessageIn(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[TextPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return " ".join(p.text for p in self.content if p.type == "text" and p.text)
        return self.content or ""


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")
    include_usage: bool = False


class ChatCompletionRequest(BaseModel):
    """The model is the space to answer from (GET /v1/models lists them). The last message must be the user's
    question; the earlier user and assistant messages are the conversation it follows up on. System messages are
    ignored: the answer's instructions are the app's own (answer only from the sources, cite them)."""
    model_config = ConfigDict(extra="allow")
    model: str = Field(..., min_length=1, description="the space to answer from")
    messages: list[ChatMessageIn] = Field(..., min_length=1)
    stream: bool = False
    stream_options: StreamOptions | None = None
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1, description="wins over max_tokens")
    temperature: float | None = Field(None, ge=0.0, le=2.0)
    stop: str | list[str] | None = Field(None, description="up to 4 sequences")
    n: int = Field(1, ge=1, le=1, description="one choice only")
    files: list[str] = Field(default_factory=list, max_length=100,
                             description="extension: search only these documents of the space (file names)")

    @field_validator("stop")
    @classmethod
    def _stop(cls, value):
        if isinstance(value, list) and len(value) > 4:
            raise ValueError("at most 4 stop sequences")
        return value

    def stop_list(self) -> list[str]:
        return [self.stop] if isinstance(self.stop, str) else list(self.stop or [])


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "quadrate-chat"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop", "length"]
    logprobs: None = None


class CompletionUsage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int

    @classmethod
    def of(cls, usage: Usage | None) -> CompletionUsage:
        if usage is None:
            return cls(prompt_tokens=0, completion_tokens=0, total_tokens=0)
        return cls(prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens,
                   total_tokens=usage.total_tokens)


def completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"


def now() -> int:
    return int(time.time())


class ChatCompletion(BaseModel):
    id: str = Field(default_factory=completion_id)
    object: Literal["chat.completion"] = "chat.completion"
    created: int = Field(default_factory=now)
    model: str
    choices: list[Choice]
    usage: CompletionUsage
    sources: list[Source] = Field(default_factory=list, description="extra: the excerpts the answer may cite as "
                                                                     "[n]")
    cited: list[int] = Field(default_factory=list, description="extra: the [n] the answer cites")


class ErrorBody(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody
    sources: list[Source] | None = Field(None, description="extra: on an answer that failed (the LLM), the excerpts "
                                                           "found for the question")
