"""HTTP API: /health, /ask, /spaces, /ingest, documents. Every route goes through the RagService facade.

Errors map to status codes by their type (SpaceNotFound 404, SpaceExists and SpaceMismatch 409, other SpaceError
422; an answer's error code 502/503), never by message text. Requests over the length limits in the settings get
413 with a message naming the limit."""
from __future__ import annotations

import asyncio
import json
import logging
import tempfile
from pathlib import Path
from typing import AsyncIterator, Literal

from fastapi import APIRouter, FastAPI, File, Form, HTTPException, UploadFile
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from config.settings import Settings
from rag.service import RagService
from rag.store.qdrant_store import SpaceError, SpaceExists, SpaceMismatch, SpaceNotFound
from webapp.limits import check_ask_limits

log = logging.getLogger(__name__)

# an answer that failed, by its error code
ANSWER_STATUS = {"llm_unavailable": 503, "llm_incomplete": 502, "llm_error": 502, "space_not_found": 404,
                 "internal": 500}


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


def space_status(err: SpaceError) -> int:
    if isinstance(err, SpaceNotFound):
        return 404
    if isinstance(err, (SpaceExists, SpaceMismatch)):
        return 409
    return 422


def _space_error(err: SpaceError) -> HTTPException:
    return HTTPException(status_code=space_status(err), detail=str(err))


def _source_json(source) -> dict:
    return {"n": source.n, "file": source.file, "page": source.page, "score": source.score, "text": source.text}


def _answer_json(a) -> dict:
    return {"answer": a.answer, "sources": [_source_json(s) for s in a.sources], "cited": a.cited,
            "language": a.language, "error": a.error, "error_code": a.error_code, "notice": a.notice,
            "timings": a.timings}


def _line(payload: dict) -> bytes:
    return (json.dumps(payload, ensure_ascii=False) + "\n").encode("utf-8", "replace")


async def _ndjson(service: RagService, req: AskRequest, history: list[dict]) -> AsyncIterator[bytes]:
    """Events: sources, token…, then done; when the answer failed, an error event right before done."""
    try:
        async for event in service.astream(req.space_id, req.q, history, req.top_k):
            if event["type"] == "sources":
                yield _line({"type": "sources", "sources": [_source_json(s) for s in event["sources"]],
                             "requested": event["requested"], "found": event["found"]})
            elif event["type"] == "done":
                a = event["answer"]
                yield _line({"type": "done", "answer": a.answer, "cited": a.cited, "error": a.error,
                             "error_code": a.error_code, "notice": a.notice, "timings": a.timings})
            else:
                yield _line(event)
    except Exception as err:  # headers are sent: end the stream with an error event, never a silent cut
        log.exception("stream for space %s failed", req.space_id)
        code = "space_not_found" if isinstance(err, SpaceNotFound) else "internal"
        yield _line({"type": "error", "code": code, "message": str(err) if code != "internal" else
                     "internal error; the server log has the details", "detail": type(err).__name__})


def build_router(service: RagService) -> APIRouter:
    router = APIRouter()
    settings: Settings = service.settings

    @router.get("/health")
    async def health() -> JSONResponse:
        report = await service.health()
        return JSONResponse(report, status_code=200 if report["status"] == "ok" else 503)

    @router.post("/ask")
    async def ask(req: AskRequest):
        history = [{"role": m.role, "content": m.text()} for m in req.history if m.role != "system"]
        problem = check_ask_limits(settings, req.q, [m["content"] for m in history])
        if problem:
            raise HTTPException(status_code=413, detail=problem)
        try:
            await asyncio.to_thread(service._usable_space, req.space_id)
        except SpaceError as err:
            raise _space_error(err) from None
        if req.stream:
            return StreamingResponse(_ndjson(service, req, history), media_type="application/x-ndjson")
        answer = await service.ask(req.space_id, req.q, history, req.top_k)
        status = ANSWER_STATUS.get(answer.error_code, 200)
        return JSONResponse(_answer_json(answer), status_code=status)

    @router.get("/spaces")
    def spaces() -> list[dict]:
        return [{"name": s.name, "documents": len(service.documents(s.name)), "embed_model": s.embed_model,
                 "dim": s.dim} for s in service.list_spaces()]

    @router.post("/spaces", status_code=201)
    def create_space(req: SpaceRequest) -> dict:
        try:
            info = service.create_space(req.name)
        except SpaceError as err:
            raise _space_error(err) from None
        return {"name": info.name, "embed_model": info.embed_model, "dim": info.dim}

    @router.delete("/spaces/{name}")
    def delete_space(name: str) -> dict:
        if not service.delete_space(name):
            raise HTTPException(status_code=404, detail=f"no space named {name!r}")
        return {"deleted": name}

    @router.get("/spaces/{name}/documents")
    def documents(name: str) -> list[dict]:
        return [d.__dict__ for d in service.documents(name)]

    @router.delete("/spaces/{name}/documents/{file_name}")
    def delete_document(name: str, file_name: str) -> dict:
        removed = service.delete_document(name, file_name)
        if not removed:
            raise HTTPException(status_code=404, detail=f"no document {file_name!r} in {name!r}")
        return {"deleted": file_name}

    @router.post("/ingest")
    def ingest(space_id: str = Form(...), files: list[UploadFile] = File(...)) -> dict:
        with tempfile.TemporaryDirectory(prefix="qc-upload-") as tmp:
            pairs = []
            for i, upload in enumerate(files):
                path = Path(tmp) / f"{i:05d}"
                with path.open("wb") as out:
                    while block := upload.file.read(1 << 20):
                        out.write(block)
                pairs.append((upload.filename or f"file-{i}", path))
            try:
                results = service.ingest_files(space_id, pairs)
            except SpaceError as err:
                raise _space_error(err) from None
        return {"space_id": space_id, "results": [r.__dict__ for r in results]}

    return router


def create_api(service: RagService) -> FastAPI:
    from webapp.limits import install_request_guards

    app = FastAPI(title="Quadrate Chat API", version="0.1.0",
                  description="Chat with your documents: spaces, ingestion, cited answers.")
    install_request_guards(app, service.settings)
    app.include_router(build_router(service))
    return app
