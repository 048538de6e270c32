"""HTTP API: /health, /ask, /spaces, /ingest, documents, the OpenAI-compatible /v1 routes and /metrics. Every
route goes through the RagService facade and declares its request and response models, so /docs shows the real
shapes. Every route but /health and /metrics needs a principal (the access gate, webapp/auth/gate.py, resolves it
from a key, a session, a trusted proxy or a shared link) and checks its right to the space it touches
(`service.access.ensure`): a space one may not read is a 404, an action one may not do there a 403.

Errors map to status codes by their type in one table (webapp/errors.py), never by message text. Requests over
the length limits in the settings get 413 with a message naming the limit."""
from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from rag import (
    Answer,
    AnswerDone,
    AnswerEvent,
    Document,
    Feedback,
    Forbidden,
    RagError,
    RagService,
    ReindexResult,
    Space,
)
from webapp.api_access import build_access_router
from webapp.api_schema import (
    AskRequest,
    Deleted,
    FeedbackRequest,
    HealthReport,
    IngestResponse,
    SpaceRequest,
    SpaceSummary,
    error_responses,
)
from webapp.auth.gate import AccessGate
from webapp.auth.guard import Caller, Guard
from webapp.auth.pages import build_auth_router, original_response
from webapp.errors import install_error_handlers, status_of_code
from webapp.limits import check_ask_limits, install_request_guards
from webapp.metrics import install_metrics
from webapp.openai_api import build_openai_router
from webapp.sse import STREAM_HEADERS, sse
from webapp.upload_form import UPLOAD_BODY, UploadForm
from webapp.uploads import remove_stale_uploads, upload_folder

log = logging.getLogger(__name__)
_ERRORS = error_responses(400, 401, 403, 404, 409, 413, 422, 429, 502, 503)


def _payload(event: AnswerEvent) -> dict:
    if isinstance(event, AnswerDone):  # the sources came in the first event: the done event does not repeat them
        a = event.answer
        return {"type": "done", **a.model_dump(mode="json", exclude={"sources", "answer"}), "answer": a.answer}
    return event.model_dump(mode="json")


async def _events(events: AsyncIterator[AnswerEvent], space: str,
                  frame: Callable[[dict], bytes]) -> AsyncIterator[bytes]:
    """Events: sources, token…, then done; when the answer failed, an error event right before done."""
    try:
        async for event in events:
            yield frame(_payload(event))
    except Exception as err:  # headers are sent: end the stream with an error event, never a silent cut
        log.exception("stream for space %s failed", space)
        code = err.code if isinstance(err, RagError) else "internal"
        yield frame({"type": "error", "code": code, "message": str(err) if code != "internal" else
                     "internal error; the server log has the details", "detail": type(err).__name__})
    finally:
        await events.aclose()  # type: ignore[attr-defined]


def _ndjson_line(payload: dict) -> bytes:
    return (json.dumps(payload, ensure_ascii=False) + "\n").encode("utf-8", "replace")


def _sse_event(payload: dict) -> bytes:
    return sse(json.dumps(payload, ensure_ascii=False), event=payload["type"])


def build_router(service: RagService, guard: Guard) -> APIRouter:
    router = APIRouter(responses=_ERRORS)
    settings, access = service.settings, service.access

    @router.post("/ask", response_model=Answer, responses={
        200: {"content": {"application/x-ndjson": {}, "text/event-stream": {}},
              "description": "the answer; with stream=true, its events as NDJSON lines, or as Server-Sent Events "
                             "(event: sources|token|error|done) with 'Accept: text/event-stream'"}})
    async def ask(req: AskRequest, request: Request, who: Caller):
        guard.ask(who, req.space_id)
        history = [{"role": m.role, "content": m.text()} for m in req.history if m.role != "system"]
        problem = check_ask_limits(settings, req.q, [m["content"] for m in history])
        if problem:
            raise HTTPException(status_code=413, detail=problem)
        wants_sse = "text/event-stream" in request.headers.get("accept", "")
        if req.stream or wants_sse:
            events = service.astream(req.space_id, req.q, history, req.top_k, files=req.files)
            try:
                first = await anext(events)   # a missing space is a 404, not a stream
            except BaseException:
                await events.aclose()  # type: ignore[attr-defined]
                raise

            async def replay() -> AsyncIterator[AnswerEvent]:
                try:
                    yield first
                    async for event in events:
                        yield event
                finally:
                    await events.aclose()  # type: ignore[attr-defined]

            frame, media = (_sse_event, "text/event-stream") if wants_sse else (_ndjson_line, "application/x-ndjson")
            return StreamingResponse(_events(replay(), req.space_id, frame), media_type=media,
                                     headers=STREAM_HEADERS)
        answer = await service.ask(req.space_id, req.q, history, req.top_k, files=req.files)
        return JSONResponse(answer.model_dump(mode="json"), status_code=status_of_code(answer.error_code))

    @router.get("/spaces", response_model=list[SpaceSummary])
    def spaces(who: Caller) -> list[SpaceSummary]:
        """The spaces the caller may read."""
        return [SpaceSummary(**s.model_dump(), documents=len(service.documents(s.name)))
                for s in service.list_spaces() if access.allowed(who, s.name, "read")]

    @router.post("/spaces", status_code=201, response_model=Space)
    def create_space(req: SpaceRequest, who: Caller) -> Space:
        """Create a space; its creator owns it."""
        if not access.may_create_spaces(who):
            raise Forbidden("you may not create spaces")
        space = service.create_space(req.name)
        access.space_created(who, space.name)
        return space

    @router.patch("/spaces/{name}", response_model=Space)
    def rename_space(name: str, req: SpaceRequest, who: Caller) -> Space:
        """Rename a space (its documents, originals, feedback, members and links follow)."""
        access.ensure(who, name, "rename_space")
        return service.rename_space(name, req.name)

    @router.delete("/spaces/{name}", response_model=Deleted)
    def delete_space(name: str, who: Caller) -> Deleted:
        access.ensure(who, name, "delete_space")
        service.delete_space(name)
        access.record(who, "delete_space", name, True)
        return Deleted(deleted=name)

    @router.post("/spaces/{name}/reindex", response_model=ReindexResult)
    def reindex(name: str, who: Caller) -> ReindexResult:
        """Embed the space's chunks again with the app's embedder (after EMBED_MODEL changed)."""
        access.ensure(who, name, "reindex")
        return service.reindex(name)

    @router.get("/spaces/{name}/documents", response_model=list[Document])
    def documents(name: str, who: Caller) -> list[Document]:
        access.ensure(who, name, "documents")
        return service.documents(name)

    @router.delete("/spaces/{name}/documents/{file_name:path}", response_model=Deleted)
    def delete_document(name: str, file_name: str, who: Caller) -> Deleted:
        access.ensure(who, name, "delete_document")
        service.delete_document(name, file_name)
        access.record(who, "delete_document", name, True, file_name)
        return Deleted(deleted=file_name)

    @router.get("/spaces/{name}/documents/{file_name:path}/original", response_class=Response,
                responses={200: {"content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
                                 "description": "the file as it was uploaded, with the media type its name "
                                                "implies (application/octet-stream when none)"}})
    def original(name: str, file_name: str, who: Caller) -> Response:
        """Download a document as it was uploaded."""
        access.ensure(who, name, "documents")
        return original_response(*service.original(name, file_name))

    @router.post("/spaces/{name}/feedback", status_code=201, response_model=Feedback)
    def add_feedback(name: str, req: FeedbackRequest, who: Caller) -> Feedback:
        """Rate an answer (thumbs up or down, with an optional comment)."""
        access.ensure(who, name, "read")
        return service.add_feedback(Feedback(space=name, **req.model_dump()))

    @router.get("/spaces/{name}/feedback", response_model=list[Feedback])
    def feedback(name: str, who: Caller) -> list[Feedback]:
        access.ensure(who, name, "review_feedback")
        return service.feedback(name)

    @router.post("/ingest", response_model=IngestResponse, openapi_extra=UPLOAD_BODY)
    async def ingest(request: Request, who: Caller) -> IngestResponse:
        """Add files to a space (made if missing): one result per file, in order. A file over MAX_FILE_MB is
        refused by its size, and no more than that of it is ever written; over MAX_UPLOAD_FILES files is a 413."""
        def may_ingest(space: str) -> None:
            access.ensure(who, space.strip(), "ingest")    # "  demo " is the space demo, not a new space

        with upload_folder() as tmp:
            form = UploadForm(Path(tmp), int(settings.max_file_mb * 1048576), settings.max_upload_files, may_ingest)
            await form.receive(request)
            space_id = (form.space_id or "").strip()
            kept = iter(await run_in_threadpool(service.ingest_files, space_id,
                                                [(f.name, f.path) for f in form.files if f.within]))
            results = [next(kept) if f.within else service.refuse_too_large(f.name, f.size) for f in form.files]
        for r in results:
            access.record(who, "upload", space_id, r.status != "failed", r.file)
        return IngestResponse(space_id=space_id, results=results)

    return router


def build_health_router(service: RagService) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/health", response_model=HealthReport,
                responses={503: {"model": HealthReport, "description": "the LLM or the store is down"}})
    async def health() -> JSONResponse:
        report = await service.health()
        return JSONResponse(report, status_code=200 if report["status"] == "ok" else 503)

    return router


def install_api(app: FastAPI, service: RagService, guard: Guard | None = None) -> Guard:
    """The REST and OpenAI routes with their guards (the access gate in front of every route of `app`, body
    size, safe 422s), the sign-in and share pages, the error-to-status table and /metrics."""
    guard = guard or Guard(service)
    remove_stale_uploads()
    install_request_guards(app, service.settings)
    install_error_handlers(app)
    install_metrics(app, service)
    app.add_middleware(AccessGate, identity=guard.identity)
    app.include_router(build_health_router(service))
    app.include_router(build_auth_router(service, guard.identity))
    app.include_router(build_router(service, guard))
    app.include_router(build_access_router(service, guard))
    app.include_router(build_openai_router(service, guard))
    return guard


def create_api(service: RagService) -> FastAPI:
    app = FastAPI(title="Quadrate Chat API", version="0.1.0",
                  description="Chat with your documents: spaces, ingestion, cited answers; an OpenAI-compatible "
                              "endpoint at /v1 (model = space).")
    install_api(app, service)
    return app
