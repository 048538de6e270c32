"""HTTP API: /health, /ask, /spaces, /ingest, documents. Every route goes through the RagService facade."""
from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path
from typing import AsyncIterator

from fastapi import APIRouter, FastAPI, File, Form, HTTPException, UploadFile
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from rag.service import RagService
from rag.store import SpaceError


class AskRequest(BaseModel):
    q: str = Field(..., min_length=1, max_length=8000, description="the question")
    space_id: str = Field(..., min_length=1, max_length=64)
    top_k: int | None = Field(None, ge=1, le=50)
    history: list[dict] = Field(default_factory=list, description="earlier messages: [{role, content}]")
    stream: bool = Field(False, description="stream NDJSON events instead of one JSON answer")


class SpaceRequest(BaseModel):
    name: str = Field(..., min_length=1, max_length=64)


def _space_error(err: SpaceError) -> HTTPException:
    return HTTPException(status_code=404 if "no space" in str(err) else 409, detail=str(err))


def _source_json(source) -> dict:
    return {"n": source.n, "file": source.file, "page": source.page, "score": source.score, "text": source.text}


async def _ndjson(service: RagService, req: AskRequest) -> AsyncIterator[bytes]:
    async for event in service.astream(req.space_id, req.q, req.history, req.top_k):
        if event["type"] == "sources":
            payload = {"type": "sources", "sources": [_source_json(s) for s in event["sources"]]}
        elif event["type"] == "token":
            payload = event
        else:
            a = event["answer"]
            payload = {"type": "done", "answer": a.answer, "cited": a.cited, "error": a.error, "timings": a.timings}
        yield (json.dumps(payload, ensure_ascii=False) + "\n").encode()


def build_router(service: RagService) -> APIRouter:
    router = APIRouter()

    @router.get("/health")
    async def health() -> JSONResponse:
        report = await service.health()
        return JSONResponse(report, status_code=200 if report["status"] == "ok" else 503)

    @router.post("/ask")
    async def ask(req: AskRequest):
        try:
            await asyncio.to_thread(service._usable_space, req.space_id)
        except SpaceError as err:
            raise _space_error(err) from None
        if req.stream:
            return StreamingResponse(_ndjson(service, req), media_type="application/x-ndjson")
        answer = await service.ask(req.space_id, req.q, req.history, req.top_k)
        return {"answer": answer.answer, "sources": [_source_json(s) for s in answer.sources], "cited": answer.cited,
                "language": answer.language, "error": answer.error, "timings": answer.timings}

    @router.get("/spaces")
    def spaces() -> list[dict]:
        return [{"name": s.name, "documents": len(service.documents(s.name)), "embed_model": s.embed_model,
                 "dim": s.dim} for s in service.list_spaces()]

    @router.post("/spaces", status_code=201)
    def create_space(req: SpaceRequest) -> dict:
        try:
            info = service.create_space(req.name)
        except SpaceError as err:
            raise HTTPException(status_code=422, detail=str(err)) from None
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
    app = FastAPI(title="Quadrate Chat API", version="0.1.0",
                  description="Chat with your documents: spaces, ingestion, cited answers.")
    app.include_router(build_router(service))
    return app
