"""What the answer path needs to know about a space besides its chunks: does it exist, does it hold documents,
which language are they in (cached for a while). Store calls run in worker threads."""
from __future__ import annotations

import asyncio
import time

from rag.store.qdrant_store import Store

_LANGUAGE_TTL_S = 30.0      # how long a space's document language is cached


class SpaceFacts:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._languages: dict[str, tuple[float, str]] = {}

    async def language(self, space: str) -> str:
        cached = self._languages.get(space)
        if cached and time.monotonic() - cached[0] < _LANGUAGE_TTL_S:
            return cached[1]
        lang = await asyncio.to_thread(self.store.space_language, space)
        self._languages[space] = (time.monotonic(), lang)
        return lang

    async def exists(self, space: str) -> bool:
        try:
            return await asyncio.to_thread(self.store.get_space, space) is not None
        except Exception:
            return False

    async def has_documents(self, space: str) -> bool:
        return bool(await asyncio.to_thread(self.store.ready_documents, space))
