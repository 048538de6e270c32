"""OpenAI's error shape, {"error": {"message", "type", "param", "code"}}, for every failure on the /v1 routes:
the engine's typed errors (by the same status table as REST), a missing API key, invalid or oversized requests.
The status picks the type, as OpenAI's own API does."""
from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

from webapp.openai_schema import ErrorBody, ErrorResponse

OPENAI_PREFIX = "/v1/"
_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
          404: "not_found_error", 409: "invalid_request_error", 413: "invalid_request_error",
          422: "invalid_request_error", 429: "rate_limit_error", 502: "api_error", 503: "service_unavailable"}


def is_openai(request: Request) -> bool:
    return request.url.path.startswith(OPENAI_PREFIX)


def openai_error_body(status: int, message: str, code: str | None = None, param: str | None = None,
                      sources: list | None = None) -> dict:
    """The error; `sources` (an answer that failed: the excerpts found) go beside it, which OpenAI clients ignore."""
    body = ErrorResponse(error=ErrorBody(message=message, type=_TYPES.get(status, "server_error"), param=param,
                                         code=code), sources=sources).model_dump(mode="json")
    if sources is None:
        del body["sources"]
    return body


def openai_error(status: int, message: str, code: str | None = None, param: str | None = None,
                 headers: dict | None = None) -> JSONResponse:
    return JSONResponse(openai_error_body(status, message, code, param), status_code=status, headers=headers)
