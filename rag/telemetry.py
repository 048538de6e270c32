"""The engine's Prometheus metrics, on a registry of its own (one per service, so several services in one process
never share counters). The HTTP surface adds its request counter to the same registry and serves it at /metrics.

Besides latency and load, it exports what tells an operator whether the answers can be trusted: answers that cite
nothing, answers that found no source, and the score of the best source behind each answer."""
from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from rag.types import Answer, IngestResult

PREFIX = "quadrate"
SECONDS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 40.0, 80.0, 160.0)
SCORES = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 2.0)


def _ms(timings: dict, key: str) -> float | None:
    value = timings.get(key)
    return float(value) / 1000 if isinstance(value, (int, float)) else None


class Telemetry:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r, p = self.registry, PREFIX
        self.first_token = Histogram(f"{p}_answer_first_token_seconds",
                                     "Question received to the first answer token", buckets=SECONDS, registry=r)
        self.retrieval = Histogram(f"{p}_retrieval_seconds", "Finding the sources of one question (translation "
                                   "excluded)", buckets=SECONDS, registry=r)
        self.translation = Histogram(f"{p}_translation_seconds", "Translating a question into the documents' "
                                     "language", buckets=SECONDS, registry=r)
        self.answer_time = Histogram(f"{p}_answer_seconds", "Question received to the end of its answer",
                                     buckets=SECONDS, registry=r)
        self.tokens = Counter(f"{p}_generated_tokens", "Answer tokens the LLM generated", registry=r)
        self.answers = Counter(f"{p}_answers", "Answers by outcome: ok, no_sources, empty_space, or the error code",
                               ["outcome"], registry=r)
        self.uncited = Counter(f"{p}_answers_without_citations", "Complete answers from sources that cite none of "
                               "them", registry=r)
        self.sourceless = Counter(f"{p}_answers_without_sources", "Questions for which retrieval found no source",
                                  registry=r)
        self.top_score = Histogram(f"{p}_top_source_score", "Score of the best source behind each answer",
                                   buckets=SCORES, registry=r)
        self.llm_requests = Counter(f"{p}_llm_requests", "Requests to LLM endpoints by outcome (ok, error, cancelled)",
                                    ["endpoint", "outcome"], registry=r)
        self.llm_failovers = Counter(f"{p}_llm_failovers", "Requests moved away from a failing LLM endpoint",
                                     ["endpoint"], registry=r)
        self.llm_in_flight = Gauge(f"{p}_llm_in_flight", "Requests in flight per LLM endpoint", ["endpoint"],
                                   registry=r)
        self.files = Counter(f"{p}_ingested_files", "Files ingested by status (ok, skipped, failed) and reason",
                             ["status", "reason"], registry=r)
        self.chunks = Counter(f"{p}_chunks_written", "Chunks written to the index", registry=r)
        self.citations = Counter(f"{p}_citations_checked", "Cited sentences checked against their passage, by "
                                 "result (supported, unsupported)", ["result"], registry=r)
        self.feedback_given = Counter(f"{p}_feedback", "Readers' ratings of answers (up, down)", ["rating"],
                                      registry=r)
        self.audit = Counter(f"{p}_audit_events", "Access events by action (sign_in, key_use, key_create, "
                             "key_revoke, grant, revoke, user_add, user_remove) and result (ok, refused)",
                             ["action", "result"], registry=r)
        self.http_requests = Counter(f"{p}_http_requests", "HTTP requests by route, method and status",
                                     ["route", "method", "status"], registry=r)

    def answered(self, answer: Answer) -> None:
        t = answer.timings
        outcome = answer.error_code or answer.notice or "ok"
        self.answers.labels(outcome).inc()
        if answer.notice:
            self.sourceless.inc()
        elif not answer.error_code and not answer.cited:
            self.uncited.inc()
        if answer.sources:
            self.top_score.observe(max(s.score for s in answer.sources))
        if answer.usage is not None:
            self.tokens.inc(answer.usage.completion_tokens)
        for check in answer.citations:
            if check.supported is not None:
                self.citations.labels("supported" if check.supported else "unsupported").inc()
        translate, retrieve = _ms(t, "translate_ms"), _ms(t, "retrieve_ms")
        for histogram, value in ((self.first_token, _ms(t, "first_token_ms")), (self.answer_time, _ms(t, "total_ms")),
                                 (self.translation, translate),
                                 (self.retrieval, None if retrieve is None else retrieve - (translate or 0.0))):
            if value is not None:
                histogram.observe(max(0.0, value))

    def ingested(self, result: IngestResult) -> None:
        self.files.labels(result.status, result.reason_code or ("ok" if result.status == "ok" else "other")).inc()
        if result.status == "ok":
            self.chunks.inc(result.chunks)

    def audited(self, action: str, ok: bool) -> None:
        self.audit.labels(action, "ok" if ok else "refused").inc()

    def feedback(self, rating: int) -> None:
        self.feedback_given.labels("up" if rating > 0 else "down").inc()

    def llm_request(self, endpoint: str, outcome: str) -> None:
        self.llm_requests.labels(endpoint, outcome).inc()

    def llm_failover(self, endpoint: str) -> None:
        self.llm_failovers.labels(endpoint).inc()

    def llm_load(self, endpoint: str, in_flight: int) -> None:
        self.llm_in_flight.labels(endpoint).set(in_flight)
