"""Sync entry points over the async answer path (LlamaIndex's `chat`, `query`, `stream_chat`): every call runs on
one background event loop, so the pooled async HTTP clients always live on the same loop, and a sync call works
inside a running loop (a notebook) as well as outside one."""
from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import Any, TypeVar

T = TypeVar("T")
_loop: asyncio.AbstractEventLoop | None = None
_lock = threading.Lock()


def _background_loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _lock:
        if _loop is None:
            _loop = asyncio.new_event_loop()
            threading.Thread(target=_loop.run_forever, name="rag-sync-bridge", daemon=True).start()
        return _loop


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run_coroutine_threadsafe(coro, _background_loop()).result()


def iterate_sync(factory: Callable[[], AsyncIterator[T]]) -> Iterator[T]:
    """The items of an async iterator, made on the background loop, one by one (at most 64 ahead)."""
    items: queue.Queue = queue.Queue(maxsize=64)

    async def pump() -> None:
        try:
            async for item in factory():
                await asyncio.to_thread(items.put, ("item", item))
        except BaseException as err:  # handed to the reader, raised there
            items.put(("error", err))
        else:
            items.put(("end", None))

    asyncio.run_coroutine_threadsafe(pump(), _background_loop())
    while True:
        kind, value = items.get()
        if kind == "error":
            raise value
        if kind == "end":
            return
        yield value
