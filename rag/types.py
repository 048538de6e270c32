"""The public types of the engine: what the facade takes and gives. Internals (collections, content hashes,
heartbeats, timing breakdowns) stay out, so every surface (UI, REST, OpenAI route, CLI) shows the same fields.
They are pydantic models, so a surface can serialise them as they are and declare them as response models."""
from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Language = Literal["ru", "en"]


class _Public(BaseModel):
    model_config = ConfigDict(frozen=True)


class Space(_Public):
    """A named set of documents, indexed with one embedding model."""
    name: str
    embed_model: str
    dim: int
    created: float = Field(description="Unix time")


class Document(_Public):
    """A document that is fully indexed and answers questions."""
    name: str = Field(description="file name as uploaded, with folder parts")
    file_type: str
    size: int = Field(description="bytes")
    pages: int
    chunks: int
    added: float = Field(description="Unix time of the last (re-)upload")
    title: str = ""
    language: str = ""
    notes: str = Field("", description="warnings worth showing: skipped pages, OCR used")


# Numbers a client may send back (a conversation to share, a rating's sources) are kept in Qdrant payloads, which
# hold 64-bit integers: a larger one comes back as a float that no longer reads as an int, and every later read of
# the record fails (schemathesis stored n = 6.8e34 in a rating and the space's feedback list was a 500 from then on)
SourceNumber = Annotated[int, Field(ge=1, le=10_000, description="the [n] an answer cites it by")]
PageNumber = Annotated[int, Field(ge=0, le=1_000_000, description="1-based page or slide")]


class Source(_Public):
    """One numbered excerpt an answer may cite as [n]."""
    n: SourceNumber
    file: str
    page: PageNumber | None = None
    score: float
    text: str
    heading: str = ""


class Generation(_Public):
    """Per-request generation settings (the OpenAI route's max_tokens, temperature, stop); None or empty keeps
    the configured value. max_tokens is capped at half the model's context, so the sources still fit."""
    max_tokens: int | None = Field(None, ge=1)
    temperature: float | None = Field(None, ge=0.0, le=2.0)
    stop: list[str] = Field(default_factory=list, max_length=4)


class Usage(_Public):
    """Tokens of one answer. `counted` is "llm" when the LLM server reported them, else "estimated": completion
    tokens are the streamed chunks (one token each from llama.cpp and vLLM), prompt tokens the prompt's
    characters at LLM_CHARS_PER_TOKEN."""
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    counted: Literal["llm", "estimated"] = "estimated"


class CitationCheck(_Public):
    """Whether a cited sentence of an answer is supported by the passage it cites (word and number overlap, with
    stems): `supported` when most of the sentence's content words and all its numbers are in the passage."""
    n: int = Field(description="the cited source")
    sentence: str
    supported: bool | None = Field(description="None: not checkable (another language than the passage, and no "
                                               "number to compare)")
    overlap: float = Field(description="share of the sentence's content words found in the passage")


ErrorCode = Literal["llm_unavailable", "llm_incomplete", "llm_context_overflow", "llm_error", "space_not_found",
                    "store_error", "internal"]
Notice = Literal["empty_space", "no_sources"]


class Answer(BaseModel):
    """A finished answer. When no complete answer came, `error_code` says why and `answer` holds the partial text
    and a note in the question's language; the sources found stay."""
    answer: str
    sources: list[Source] = Field(default_factory=list)
    cited: list[int] = Field(default_factory=list)
    language: Language = "en"
    error: str = ""
    error_code: ErrorCode | Literal[""] = ""
    notice: Notice | Literal[""] = ""
    finish_reason: Literal["stop", "length"] | None = Field(None, description="why the LLM stopped, when it ran")
    usage: Usage | None = Field(None, description="tokens, when the LLM ran")
    citations: list[CitationCheck] = Field(default_factory=list, description="each cited sentence, checked "
                                                                               "against its passage")
    timings: dict[str, float | str | None] = Field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.error_code


class IngestResult(_Public):
    """What became of one uploaded file."""
    file: str
    status: Literal["ok", "skipped", "failed"]
    reason: str = ""
    reason_code: str = Field("", description="why, in one stable word: unchanged, duplicate, internal, or the "
                                             "UnreadableFile reason (too_large, unsupported, damaged, ...)")
    chunks: int = 0
    pages: int = 0
    seconds: float = 0.0
    replaced: bool = Field(False, description="an older version of the same name was replaced")
    warnings: list[str] = Field(default_factory=list)


class FeedbackSource(_Public):
    n: SourceNumber
    file: str
    page: PageNumber | None = None
    cited: bool = False


class Feedback(_Public):
    """A reader's rating of one answer, kept with the question, the answer and its sources."""
    space: str
    rating: Literal[1, -1]
    question: str = Field(min_length=1, max_length=100_000)
    answer: str = Field(max_length=200_000)
    comment: str = Field("", max_length=4000)
    sources: list[FeedbackSource] = Field(default_factory=list, max_length=100)
    language: str = ""
    id: str = ""
    created: float = 0.0

    def as_eval_item(self) -> dict:
        """This rating as an item of an eval set (`rag.eval --dataset`): {id, question, answer, source, evidence,
        kind}, plus what the reader said. A thumbs-up answer becomes the expected answer, with the first source
        it cites as the expected source; a thumbs-down keeps the model's answer and the comment apart and leaves
        `answer` empty for a curator to fill in."""
        cited = [s for s in self.sources if s.cited] or self.sources
        good = self.rating > 0
        return {"id": f"feedback-{self.id[:12]}", "question": self.question, "answer": self.answer if good else "",
                "source": cited[0].file if cited and good else None, "evidence": None, "kind": "feedback",
                "lang": self.language or None, "rating": self.rating, "comment": self.comment,
                "model_answer": self.answer, "cited_sources": [{"file": s.file, "page": s.page} for s in cited],
                "created": self.created}


class UserInfo(_Public):
    """A user as surfaces see them (never the password's hash)."""
    name: str
    admin: bool = False
    roles: dict[str, str] = Field(default_factory=dict, description="space -> viewer | editor | owner")
    created: float = 0.0


class ApiKeyInfo(_Public):
    """An API key as surfaces see it (never the key itself after it was made)."""
    id: str
    user: str
    spaces: list[str] | None = Field(None, description="None: every space the user may read")
    scopes: list[str]
    expires: float | None = None
    created: float
    revoked: bool = False
    label: str = ""


class Principal(_Public):
    """Who is asking: a signed-in user, a user through one of their API keys (then limited by the key), a visitor
    of a shared link (chat with that one space), or, with AUTH=off, the one local user with every right."""
    user: str
    admin: bool = False
    roles: dict[str, str] = Field(default_factory=dict)
    key_id: str | None = None
    key_spaces: list[str] | None = None
    key_scopes: list[str] | None = None
    share_id: str | None = None
    share_space: str | None = None
    local: bool = False

    @property
    def ref(self) -> str:
        """A short, stable reference to this principal ("local", "user:<name>", "key:<id>", "share:<id>")."""
        if self.local:
            return "local"
        if self.share_id:
            return f"share:{self.share_id}"
        return f"key:{self.key_id}" if self.key_id else f"user:{self.user}"


class ShareInfo(_Public):
    """A share link as its space's owners see it; `token` is the secret part of its URL."""
    id: str
    space: str
    kind: Literal["space", "conversation"]
    by: str
    token: str
    created: float
    expires: float | None = None
    revoked: bool = False
    label: str = ""


class SharedTurn(_Public):
    question: str
    answer: str
    sources: list[Source] = Field(default_factory=list)


class SharedConversation(_Public):
    """A read-only snapshot of one conversation, as its link shows it."""
    space: str
    by: str
    created: float
    turns: list[SharedTurn]


class ReindexResult(_Public):
    space: str
    documents: int
    chunks: int
    embed_model: str
    seconds: float


# --- answer stream events -------------------------------------------------------------------------
class SourcesFound(_Public):
    """First event: the sources that will be sent to the model (only what fits its context)."""
    type: Literal["sources"] = "sources"
    sources: list[Source]
    language: Language
    requested: int = Field(description="sources asked for")
    found: int = Field(description="sources retrieved, before fitting to the context")
    context_window: int | None = None


class Token(_Public):
    type: Literal["token"] = "token"
    text: str
    notice: bool = Field(False, description="the app's own words (no sources found, or why the answer failed), "
                                            "not the model's")


class AnswerFailed(_Public):
    """No complete answer: comes right before `AnswerDone`, whose answer carries the same code."""
    type: Literal["error"] = "error"
    code: ErrorCode
    message: str = Field(description="for the reader, in the question's language")
    detail: str = Field("", description="for the operator")


class AnswerDone(_Public):
    type: Literal["done"] = "done"
    answer: Answer


AnswerEvent = Annotated[SourcesFound | Token | AnswerFailed | AnswerDone, Field(discriminator="type")]


# --- ingest progress events -----------------------------------------------------------------------
class FileStarted(_Public):
    type: Literal["file"] = "file"
    file: str
    index: int = Field(description="1-based position in the batch")
    total: int


class ChunksWritten(_Public):
    type: Literal["chunks"] = "chunks"
    file: str
    done: int = Field(description="chunks of this file written so far")
    added: int


class FileDone(_Public):
    type: Literal["result"] = "result"
    result: IngestResult
    index: int
    total: int


IngestEvent = Annotated[FileStarted | ChunksWritten | FileDone, Field(discriminator="type")]
IngestProgress = Callable[[FileStarted | ChunksWritten | FileDone], None]
