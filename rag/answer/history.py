"""A conversation as the engine reads it: earlier messages cleaned to {role, content: text}, and the text a
follow-up is searched with."""
from __future__ import annotations

import re

from rag.answer.prompts import cut

_QUERY_CONTEXT_CHARS = 600  # of the previous question, joined to a short follow-up for search
_SURROGATES = re.compile(r"[\ud800-\udfff]")


def message_text(content) -> str:
    """Chat message content as text: a string, or a flat list of parts (gradio 6 and OpenAI messages). Nested
    structures are not walked."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p if isinstance(p, str) else str(p.get("text", "")) if isinstance(p, dict) else ""
                        for p in content)
    if isinstance(content, dict):
        return str(content.get("text", ""))
    return ""


def clean_text(text: str) -> str:
    """Text that can be encoded: lone surrogates (possible in JSON and from browsers) become U+FFFD."""
    return _SURROGATES.sub("\ufffd", text or "")


def _role(message) -> str:
    role = message.get("role") if isinstance(message, dict) else getattr(message, "role", None)
    return str(getattr(role, "value", role) or "")


def _content(message):
    return message.get("content") if isinstance(message, dict) else getattr(message, "content", "")


def clean_history(history: list | None) -> list[dict]:
    """Earlier messages (dicts, or LlamaIndex ChatMessages) as {role, content: text}: anything else in a history
    (system messages, other keys, nesting, files) is dropped, so no client can make the engine walk an arbitrary
    structure."""
    out = []
    for m in history or []:
        role = _role(m)
        if role in ("user", "assistant"):
            out.append({"role": role, "content": clean_text(message_text(_content(m)))})
    return out


def retrieval_query(question: str, history: list[dict]) -> str:
    """A short follow-up ("а кто ответственный?") is searched together with the previous question."""
    previous = [m["content"] for m in history if m.get("role") == "user"]
    if previous and len(question.split()) <= 6:
        return f"{cut(previous[-1], _QUERY_CONTEXT_CHARS)} {question}"
    return question
