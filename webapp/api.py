"""HTTP API: /health, /ask, /spaces, /ingest, documents. Every route goes through the RagService facade and
declares its request and response models, so /docs shows the real shapes.

Errors map to status codes by their type in one table (webapp/errors.py), never by message text. Requests over
the length limits in the settings get 413 with a message naming the limit."""
from __future__ import annotations

import asyncio
import json
import logging
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Literal

from fastapi import APIRouter, FastAPI, File, Form, HTTPException, UploadFile
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from config.settings import Settings
from rag import Answer, AnswerDone, Document, IngestResult, RagError, RagService, Source, SourcesFound, Space
from webapp.errors import install_error_handlers, status_of_code
from webapp.limits import check_ask_limits, install_request_guards

log = logging.getLogger(__name__)


def _no_surrogates(value: str) -> str:
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
        raise ValueError("text contains an unpaired surrogate (not valid Unicode)")
    return value


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
    stream: bool = Field(False, description="stream NDJSON events instead of one JSON answer")

    _q = field_validator("q", "space_id")(_no_surrogates)


class SpaceRequest(BaseModel):
    name: str = Field(..., min_length=1, max_length=64)

    _name = field_validator("name")(_no_surrogates)


class SpaceSummary(Space):
    documents: int = Field(description="fully indexed documents")


class IngestResponse(BaseModel):
    space_id: str
    results: list[IngestResult]


class Deleted(BaseModel):
    deleted: str


def _line(payload: dict) -> bytes:
    return (json.dumps(payload, ensure_ascii=False) + "\n").encode("utf-8", "replace")


def _source_json(source: Source) -> dict:
    return source.model_dump(mode="json")


async def _ndjson(service: RagService, req: AskRequest, history: list[dict]) -> AsyncIterator[bytes]:
    """Events: sources, token…, then done; when the answer failed, an error event right before done."""
    try:
        async for event in service.astream(req.space_id, req.q, history, req.top_k):
            if isinstance(event, SourcesFound):
                yield _line(event.model_dump(mode="json"))
            elif isinstance(event, AnswerDone):
                a = event.answer
                yield _line({"type": "done", "answer": a.answer, "cited": a.cited, "error": a.error,
                             "error_code": a.error_code, "notice": a.notice, "timings": a.timings})
            else:
                yield _line(event.model_dump(mode="json"))
    except Exception as err:  # headers are sent: end the stream with an error event, never a silent cut
        log.exception("stream for space %s failed", req.space_id)
        code = err.code if isinstance(err, RagError) else "internal"
        yield _line({"type": "error", "code": code, "message": str(err) if code != "internal" else
                     "internal error; the server log has the details", "detail": type(err).__name__})


def build_router(service: RagService) -> APIRouter:
    router = APIRouter()
    settings: Settings = service.settings

    @router.get("/health", responses={503: {"description": "the LLM or the store is down"}})
    async def health() -> JSONResponse:
        report = await service.health()
        return JSONResponse(report, status_code=200 if report["status"] == "ok" else 503)

    @router.post("/ask", response_model=Answer, responses={
        200: {"content": {"application/x-ndjson": {}}, "description": "with stream=true: NDJSON events"},
        404: {"description": "no such space"}, 413: {"description": "over the length limits"},
        502: {"description": "the LLM reply was empty or broke off"}, 503: {"description": "no LLM reachable"}})
    async def ask(req: AskRequest):
        history = [{"role": m.role, "content": m.text()} for m in req.history if m.role != "system"]
        problem = check_ask_limits(settings, req.q, [m["content"] for m in history])
        if problem:
            raise HTTPException(status_code=413, detail=problem)
        if req.stream:
            events = _ndjson(service, req, history)
            await asyncio.to_thread(service.space, req.space_id)   # a missing space is a 404, not a stream
            return StreamingResponse(events, media_type="application/x-ndjson")
        answer = await service.ask(req.space_id, req.q, history, req.top_k)
        return JSONResponse(answer.model_dump(mode="json"), status_code=status_of_code(answer.error_code))

    @router.get("/spaces", response_model=list[SpaceSummary])
    def spaces() -> list[SpaceSummary]:
        return [SpaceSummary(**s.model_dump(), documents=len(service.documents(s.name)))
                for s in service.list_spaces()]

    @router.post("/spaces", status_code=201, response_model=Space)
    def create_space(req: SpaceRequest) -> Space:
        return service.create_space(req.name)

    @router.delete("/spaces/{name}", response_model=Deleted)
    def delete_space(name: str) -> Deleted:
        service.delete_space(name)
        return Deleted(deleted=name)

    @router.get("/spaces/{name}/documents", response_model=list[Document])
    def documents(name: str) -> list[Document]:
        return service.documents(name)

    @router.delete("/spaces/{name}/documents/{file_name}", response_model=Deleted)
    def delete_document(name: str, file_name: str) -> Deleted:
        service.delete_document(name, file_name)
        return Deleted(deleted=file_name)

    @router.post("/ingest", response_model=IngestResponse)
    def ingest(space_id: str = Form(...), files: list[UploadFile] = File(...)) -> IngestResponse:
        with tempfile.TemporaryDirectory(prefix="qc-upload-") as tmp:
            pairs = []
            for i, upload in enumerate(files):
                path = Path(tmp) / f"{i:05d}"
                with path.open("wb") as out:
                    while block := upload.file.read(1 << 20):
                        out.write(block)
                pairs.append((upload.filename or f"file-{i}", path))
            results = service.ingest_files(space_id, pairs)
        return IngestResponse(space_id=space_id, results=results)

    return router


def install_api(app: FastAPI, service: RagService) -> None:
    """The REST routes with their guards (body size, safe 422s) and the error-to-status table."""
    install_request_guards(app, service.settings)
    install_error_handlers(app)
    app.include_router(build_router(service))


def create_api(service: RagService) -> FastAPI:
    app = FastAPI(title="Quadrate Chat API", version="0.1.0",
                  description="Chat with your documents: spaces, ingestion, cited answers.")
    install_api(app, service)
    return app
