"""Every error the engine raises to its callers. Each class has a stable `code` that clients can rely on; the
message says what happened and never holds a secret. Surfaces tell errors apart by type (or by `code`), never by
their text: the HTTP API maps each class to a status in one table."""
from __future__ import annotations


class RagError(Exception):
    """Base of the engine's errors."""
    code = "error"


# --- spaces ---------------------------------------------------------------------------------------
class SpaceError(RagError, ValueError):
    """A space operation that cannot be done."""
    code = "space_error"


class SpaceNotFound(SpaceError):
    """No space of that name."""
    code = "space_not_found"

    def __init__(self, name: str) -> None:
        super().__init__(f"no space named {name!r}")
        self.space = name


class SpaceExists(SpaceError):
    """A space of that name is there already."""
    code = "space_exists"

    def __init__(self, name: str) -> None:
        super().__init__(f"a space named {name!r} already exists")
        self.space = name


class InvalidSpaceName(SpaceError):
    """The name cannot be a space name (empty, too long, control characters, slashes)."""
    code = "invalid_space_name"


class EmbedderMismatch(SpaceError):
    """The space was indexed with another embedding model than the app now uses."""
    code = "embedder_mismatch"


class DocumentNotFound(RagError):
    """No document of that name in the space."""
    code = "document_not_found"


# --- files ----------------------------------------------------------------------------------------
class UnreadableFile(RagError):
    """The file cannot be turned into text; the message is shown to the user as is, and `reason` says why in one
    of a few stable words (metrics count failed files by it): too_large, unsupported, empty, wrong_type,
    damaged, encrypted, zip_bomb, no_text, unreadable."""
    code = "unreadable_file"

    def __init__(self, message: str, reason: str = "unreadable") -> None:
        super().__init__(message)
        self.reason = reason


# --- store ----------------------------------------------------------------------------------------
class StoreError(RagError):
    """The vector store cannot be used (unreachable, or holding data this version cannot read)."""
    code = "store_error"


class StoreFull(StoreError):
    """The disk of the embedded store has too little room left for this write (MIN_FREE_DISK_MB)."""
    code = "store_full"


# --- LLM ------------------------------------------------------------------------------------------
class LLMError(RagError, RuntimeError):
    """The LLM gave no usable answer."""
    code = "llm_error"


class LLMUnavailable(LLMError):
    """No endpoint could be reached; the message says which were tried and why."""
    code = "llm_unavailable"


class LLMIncomplete(LLMError):
    """The endpoint answered, but the reply was empty or stopped before its end."""
    code = "llm_incomplete"


class LLMContextOverflow(LLMError):
    """The prompt was longer than the model's context (the server said so, or, like llama.cpp, ended the stream
    before any data); the answer path retries once with fewer sources."""
    code = "llm_context_overflow"


# --- access ---------------------------------------------------------------------------------------
class AccessError(RagError, ValueError):
    """A user or key operation that cannot be done (a bad name, a short password, an unknown role)."""
    code = "access_error"


class UserNotFound(AccessError):
    code = "user_not_found"

    def __init__(self, name: str) -> None:
        super().__init__(f"no user named {name!r}")


class UserExists(AccessError):
    code = "user_exists"

    def __init__(self, name: str) -> None:
        super().__init__(f"a user named {name!r} exists already")


class Forbidden(AccessError):
    """The caller may see the space but not do this there (their role, their key's scopes, or a shared link)."""
    code = "forbidden"


class ShareNotFound(AccessError):
    """No usable share link: a wrong token, or one that expired or was revoked."""
    code = "share_not_found"

    def __init__(self) -> None:
        super().__init__("this link does not exist, has expired or was revoked")


class RateLimited(RagError):
    """Too many requests for this caller in the current minute (shared links); retry later."""
    code = "rate_limited"


class InternalError(RagError):
    """Something the engine did not expect; the server log has the details."""
    code = "internal"


ERRORS_BY_CODE: dict[str, type[RagError]] = {
    cls.code: cls for cls in (SpaceError, SpaceNotFound, SpaceExists, InvalidSpaceName, EmbedderMismatch,
                              DocumentNotFound, UnreadableFile, StoreError, StoreFull, LLMError, LLMUnavailable,
                              LLMIncomplete, LLMContextOverflow,
                              AccessError, UserNotFound, UserExists, Forbidden, ShareNotFound, RateLimited,
                              InternalError)}
