"""Request and response models of the REST routes (/health, /ask, /spaces, /ingest, documents), so /docs shows
the real shapes. The engine's public types (Answer, Document, IngestResult, Space, the answer events) are used
as they are."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from rag import FeedbackSource, IngestResult, Space


def _no_surrogates(value: str) -> str:
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
        raise ValueError("text contains an unpaired surrogate (not valid Unicode)")
    return value


class KeptRequest(BaseModel):
    """A request whose text the store keeps (a rating, a share, a key, a member): an unpaired surrogate anywhere
    in it (JSON allows "\\ud800") is a 422, since the store cannot hold one (a shared conversation with one was a
    500). Checked over the raw JSON value, nested items and keys included, without recursion."""

    @model_validator(mode="before")
    @classmethod
    def _valid_unicode(cls, data: Any) -> Any:
        pending = [data]
        while pending:
            value = pending.pop()
            if isinstance(value, str):
                _no_surrogates(value)
            elif isinstance(value, dict):
                pending.extend(value.keys())
                pending.extend(value.values())
            elif isinstance(value, list):
                pending.extend(value)
        return data


class TextPart(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: Literal["text"] = "text"
    text: str

    _text = field_validator("text")(_no_surrogates)


class HistoryMessage(BaseModel):
    """One earlier message: {"role": "user"|"assistant", "content": text or [{"type": "text", "text": …}]}."""
    model_config = ConfigDict(extra="ignore")
    role: Literal["user", "assistant", "system"]
    content: str | list[TextPart]

    @field_validator("content")
    @classmethod
    def _content(cls, value):
        return _no_surrogates(value) if isinstance(value, str) else value

    def text(self) -> str:
        return self.content if isinstance(self.content, str) else " ".join(p.text for p in self.content)


class AskRequest(BaseModel):
    q: str = Field(..., min_length=1, description="the question")
    space_id: str = Field(..., min_length=1, max_length=64)
    top_k: int | None = Field(None, ge=1, le=50)
    history: list[HistoryMessage] = Field(default_factory=list, description="earlier messages, oldest first")
    stream: bool = Field(False, description="stream the answer's events: NDJSON, or Server-Sent Events when the "
                                            "request sends 'Accept: text/event-stream'")
    files: list[str] = Field(default_factory=list, max_length=100,
                             description="search only these documents of the space (file names); empty = all")

    _q = field_validator("q", "space_id")(_no_surrogates)


class SpaceRequest(BaseModel):
    name: str = Field(..., min_length=1, max_length=64)

    _name = field_validator("name")(_no_surrogates)


class FeedbackRequest(KeptRequest):
    """A reader's rating of one answer: +1 or -1, an optional comment, and what was asked and answered."""
    rating: Literal[1, -1]
    question: str = Field(..., min_length=1, max_length=100_000)
    answer: str = Field("", max_length=200_000)
    comment: str = Field("", max_length=4000)
    sources: list[FeedbackSource] = Field(default_factory=list, max_length=100)
    language: str = Field("", max_length=8)


class SpaceSummary(Space):
    documents: int = Field(description="fully indexed documents")


class IngestResponse(BaseModel):
    space_id: str
    results: list[IngestResult]


class Deleted(BaseModel):
    deleted: str


class ErrorDetail(BaseModel):
    detail: str | list[dict[str, Any]] = Field(description="what went wrong (a list of fields for a 422)")
    code: str = Field("", description="stable error code, e.g. space_not_found, llm_unavailable")


_WHY = {400: "a body that is not UTF-8 JSON, or a Host name the app does not serve (ALLOWED_HOSTS)"}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The error statuses a router declares, each with the {"detail", "code"} body (webapp/errors.py)."""
    return {status: {"model": ErrorDetail, **({"description": _WHY[status]} if status in _WHY else {})}
            for status in statuses}


class LLMHealth(BaseModel):
    ok: bool
    state: Literal["ok", "busy", "down"]
    embedded: bool = Field(description="the app's own llama.cpp server")
    endpoints: list[dict[str, Any]] = Field(description="per endpoint: url, model, state, in_flight, "
                                                        "last_ok_s_ago, latency_ms, error")


class HealthReport(BaseModel):
    status: Literal["ok", "degraded"]
    llm: LLMHealth
    store: dict[str, Any]
    embedder: dict[str, Any]
    uptime_s: float
