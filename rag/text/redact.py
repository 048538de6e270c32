"""Credentials never reach a log line, a health report or an error message: `http://user:pw@host/v1` is shown as
`http://***@host/v1`, and `api_key=…` / `Bearer …` values are masked."""
from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s@]+@")
_TOKENS = re.compile(r"(?i)(bearer\s+|api[_-]?key[\"']?\s*[:=]\s*[\"']?|token[\"']?\s*[:=]\s*[\"']?)"
                     r"[A-Za-z0-9._~+/=-]{4,}")


def redact_url(url: str) -> str:
    """The URL without its user name and password (and without query-string secrets such as ?api_key=)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_text(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, netloc, parts.path, redact_text(parts.query), parts.fragment))


def redact_text(text: str) -> str:
    """Any text (an error message, a log line) with URL credentials and bearer or API-key values masked."""
    text = _USERINFO.sub(lambda m: m.group("scheme") + "***@", str(text))
    return _TOKENS.sub(lambda m: m.group(1) + "***", text)
