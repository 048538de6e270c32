"""The one table from engine errors to HTTP statuses. Routes raise (or let through) the engine's typed errors;
the handler installed here answers {"detail": message, "code": stable code} with the status of the error's class
(the nearest class in the table, walking up its hierarchy). Failed answers map by their error code the same way."""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from rag import (
    ERRORS_BY_CODE,
    DocumentNotFound,
    EmbedderMismatch,
    InternalError,
    InvalidSpaceName,
    LLMError,
    LLMIncomplete,
    LLMUnavailable,
    RagError,
    SpaceError,
    SpaceExists,
    SpaceNotFound,
    StoreError,
    UnreadableFile,
)

log = logging.getLogger(__name__)

STATUS_BY_ERROR: dict[type[RagError], int] = {
    SpaceNotFound: 404, DocumentNotFound: 404,
    SpaceExists: 409, EmbedderMismatch: 409,
    InvalidSpaceName: 422, SpaceError: 422, UnreadableFile: 422,
    LLMUnavailable: 503, StoreError: 503,
    LLMIncomplete: 502, LLMError: 502,
    InternalError: 500, RagError: 500,
}


def status_of(error: type[RagError] | RagError) -> int:
    cls = error if isinstance(error, type) else type(error)
    return next((STATUS_BY_ERROR[c] for c in cls.__mro__ if c in STATUS_BY_ERROR), 500)


def status_of_code(code: str) -> int:
    """The status of an answer that failed with `code` (200 when it did not fail)."""
    return status_of(ERRORS_BY_CODE.get(code, InternalError)) if code else 200


async def _rag_error(_: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, RagError)
    status = status_of(err)
    if status >= 500:
        log.warning("request failed with %s: %s", err.code, err)
    return JSONResponse({"detail": str(err), "code": err.code}, status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RagError, _rag_error)
