"""The chat history kept in the browser (gr.BrowserState): one thread per space, each answer with its sources,
and the last space used. The server keeps none of it.

State: {"v": 2, "last_space": name, "threads": {space: {"messages": [...], "sources": [...]}}} where
`sources[i]` holds the sources of `messages[i]` (None for questions). The first format ({space: [messages]})
is read too."""
from __future__ import annotations

from typing import Any

MAX_MESSAGES = 40       # per space, kept in the browser
MAX_SPACES = 30         # threads kept; the least recently used go first


def normalise(saved) -> dict:
    state: dict[str, Any] = {"v": 2, "last_space": None, "threads": {}}
    if not isinstance(saved, dict):
        return state
    threads: dict
    if saved.get("v") == 2:
        state["last_space"] = saved.get("last_space") if isinstance(saved.get("last_space"), str) else None
        found = saved.get("threads")
        threads = found if isinstance(found, dict) else {}
    else:  # the first format: {space: [messages]}
        threads = {k: {"messages": v, "sources": [None] * len(v)} for k, v in saved.items() if isinstance(v, list)}
    for space, thread in threads.items():
        if isinstance(thread, dict) and isinstance(thread.get("messages"), list):
            messages = [m for m in thread["messages"] if isinstance(m, dict) and m.get("role") in ("user", "assistant")]
            listed = thread.get("sources")
            sources = [*(listed if isinstance(listed, list) else []), *([None] * len(messages))][:len(messages)]
            state["threads"][space] = {"messages": messages, "sources": sources}
    return state


def thread_of(saved, space: str | None) -> tuple[list[dict], list]:
    thread = normalise(saved)["threads"].get(space or "", {})
    return list(thread.get("messages", [])), list(thread.get("sources", []))


def save_thread(saved, space: str, messages: list[dict], sources: list) -> dict:
    state = normalise(saved)
    sources = (list(sources) + [None] * len(messages))[:len(messages)]
    threads = {k: v for k, v in state["threads"].items() if k != space}
    if messages:
        threads[space] = {"messages": messages[-MAX_MESSAGES:], "sources": sources[-MAX_MESSAGES:]}
    state["threads"] = dict(list(threads.items())[-MAX_SPACES:])
    state["last_space"] = space
    return state


def remember_space(saved, space: str | None) -> dict:
    state = normalise(saved)
    state["last_space"] = space
    return state


def pick_space(names: list[str], requested: str | None, saved) -> str | None:
    """The space to open: the one in the URL (?space=), else the last one used, else the first."""
    for candidate in (requested, normalise(saved)["last_space"]):
        if candidate and candidate in names:
            return candidate
    return names[0] if names else None
