"""How the pool reads an endpoint's failure: which errors fail over to another endpoint, which are a refusal of the
request itself (a 4xx: not the endpoint's fault, not sent elsewhere; a prompt over the context is
LLMContextOverflow), how long a server asked us to wait (Retry-After), and the error raised when no endpoint
answered."""
from __future__ import annotations

import json

import httpx
import openai

from rag.errors import LLMContextOverflow, LLMError, LLMIncomplete, LLMUnavailable
from rag.llm.openai_stream import EndpointRefused, StreamError, overflows, retry_after_s

CONNECT_ERRORS = (openai.APIConnectionError, openai.APITimeoutError, openai.InternalServerError,
                   httpx.ConnectError, httpx.ConnectTimeout, ConnectionError)


# a reply that is not the protocol (an invalid JSON data: line, an in-stream error object) is the endpoint's fault
_PROTOCOL_ERRORS = (json.JSONDecodeError, openai.APIError, StreamError, EndpointRefused)
FAILOVER_ERRORS = (*CONNECT_ERRORS, LLMIncomplete, LLMContextOverflow, httpx.HTTPError, *_PROTOCOL_ERRORS)
NO_DATA = ("a stream that ended before any data (llama.cpp does this when the prompt is longer than its context: "
            "check LLM_CONTEXT_WINDOW and LLM_CHARS_PER_TOKEN)")


def retry_after(err: BaseException) -> float | None:
    """The wait a refusing server asked for (Retry-After on a 429 or 503), from our reader or the openai client."""
    if isinstance(err, EndpointRefused):
        return err.retry_after
    response = getattr(err, "response", None)
    return retry_after_s(response.headers.get("retry-after")) if isinstance(response, httpx.Response) else None


def refusal(err: BaseException) -> LLMError | None:
    """The error for a request the endpoint refused as a request (a 4xx other than 429): not the endpoint's fault,
    so it is neither counted against it nor sent to another. A prompt over the context is LLMContextOverflow."""
    if isinstance(err, EndpointRefused) and not err.unavailable:
        return (LLMContextOverflow if err.overflow else LLMError)(f"the LLM refused the request: {err}")
    if isinstance(err, openai.BadRequestError):
        overflow = overflows(err.status_code, str(err))   # the same reading as the stream's EndpointRefused
        return (LLMContextOverflow if overflow else LLMError)(f"the LLM refused the request: {err}")
    return None


def error_kind(err: BaseException) -> type[LLMError]:
    """The engine error an endpoint failure counts as."""
    overloaded = isinstance(err, openai.APIStatusError) and (err.status_code >= 500 or err.status_code == 429)
    return (type(err) if isinstance(err, LLMError) else
            LLMUnavailable if isinstance(err, (*CONNECT_ERRORS, httpx.HTTPError)) or overloaded or
            getattr(err, "unavailable", False) else LLMError)


def no_answer(errors: list[tuple[type[LLMError], str]]) -> LLMError:
    kinds = {kind for kind, _ in errors}
    kind = kinds.pop() if len(kinds) == 1 else LLMError
    return kind("LLM gave no answer: " + "; ".join(text for _, text in errors))


def finish_reason(raw) -> str | None:   # of an OpenAILike reply
    choices = getattr(raw, "choices", None) or []
    return getattr(choices[0], "finish_reason", None) if choices else None
