"""The one table from engine errors to HTTP statuses. Routes raise (or let through) the engine's typed errors;
the handler installed here answers {"detail": message, "code": stable code} (OpenAI's error shape on /v1) with the
status of the error's class (the nearest class in the table, walking up its hierarchy). Failed answers map by their
error code the same way; a missing or wrong API key is 401. HTTP errors the framework raises itself (a body that is
not UTF-8 JSON is 400, a wrong method 405) keep their status and get the same shapes."""
from __future__ import annotations

import logging
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from rag import (
    ERRORS_BY_CODE,
    AccessError,
    DocumentNotFound,
    EmbedderMismatch,
    Forbidden,
    InternalError,
    InvalidSpaceName,
    LLMContextOverflow,
    LLMError,
    LLMIncomplete,
    LLMUnavailable,
    RagError,
    RateLimited,
    ShareNotFound,
    SpaceError,
    SpaceExists,
    SpaceNotFound,
    StoreError,
    StoreFull,
    UnreadableFile,
    UserExists,
    UserNotFound,
)
from webapp.auth.identity import AuthError
from webapp.openai_errors import is_openai, openai_error

log = logging.getLogger(__name__)

STATUS_BY_ERROR: dict[type[RagError], int] = {
    SpaceNotFound: 404, DocumentNotFound: 404,
    SpaceExists: 409, EmbedderMismatch: 409,
    InvalidSpaceName: 422, SpaceError: 422, UnreadableFile: 422,
    LLMUnavailable: 503, StoreFull: 503, StoreError: 503,
    LLMIncomplete: 502, LLMContextOverflow: 502, LLMError: 502,
    UserNotFound: 404, UserExists: 409, Forbidden: 403, ShareNotFound: 404, AccessError: 422,
    RateLimited: 429,
    InternalError: 500, RagError: 500,
}


def status_of(error: type[RagError] | RagError) -> int:
    cls = error if isinstance(error, type) else type(error)
    return next((STATUS_BY_ERROR[c] for c in cls.__mro__ if c in STATUS_BY_ERROR), 500)


def status_of_code(code: str) -> int:
    """The status of an answer that failed with `code` (200 when it did not fail)."""
    return status_of(ERRORS_BY_CODE.get(code, InternalError)) if code else 200


def error_response(request: Request, status: int, message: str, code: str,
                   headers: dict | None = None) -> JSONResponse:
    """{"detail", "code"} on the REST routes, OpenAI's error shape on /v1."""
    if is_openai(request):
        return openai_error(status, message, code, headers=headers)
    return JSONResponse({"detail": message, "code": code}, status_code=status, headers=headers)


async def _rag_error(request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, RagError)
    status = status_of(err)
    if status >= 500:
        log.warning("request failed with %s: %s", err.code, err)
    return error_response(request, status, str(err), err.code)


async def _auth_error(request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, AuthError)
    return error_response(request, 401, str(err), err.code, headers={"WWW-Authenticate": "Bearer"})


def http_error_code(status: int) -> str:
    """The stable code of a plain HTTP error: 413 is request_too_large as everywhere else, others by the status's
    name (400 bad_request, 405 method_not_allowed)."""
    if status == 413:
        return "request_too_large"
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "_")
    except ValueError:
        return "http_error"


async def _http_error(request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, HTTPException)
    return error_response(request, err.status_code, str(err.detail), http_error_code(err.status_code),
                          headers=dict(err.headers or {}) or None)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RagError, _rag_error)
    app.add_exception_handler(AuthError, _auth_error)
    app.add_exception_handler(HTTPException, _http_error)
