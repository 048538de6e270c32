"""METRICS_LLM_UPSTREAM: the LLM servers' own Prometheus metrics (vLLM's vllm:*), fetched at each scrape of our
/metrics and re-exported there with an `endpoint` label, so an operator scrapes one place. A family that several
endpoints report becomes one family with a sample per endpoint; an endpoint that does not answer is skipped (and
logged), it never fails the scrape."""
from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

from rag.llm.pool import LLMPool
from rag.text.redact import redact_text

log = logging.getLogger(__name__)


def metrics_url(base_url: str) -> str:
    """An OpenAI-compatible server's /metrics sits at its root, beside /v1."""
    root = base_url.rstrip("/")
    return (root[:-3] if root.endswith("/v1") else root) + "/metrics"


class UpstreamMetrics:
    def __init__(self, pool: LLMPool, timeout: float = 3.0) -> None:
        self.pool, self.timeout = pool, timeout

    def describe(self) -> list:
        return []   # the families are only known at scrape time

    def collect(self) -> Iterator[Metric]:
        merged: dict[str, Metric] = {}
        for endpoint in self.pool.endpoints:
            try:
                resp = httpx.get(metrics_url(endpoint.base_url), timeout=self.timeout,
                                 headers={"Authorization": f"Bearer {self.pool.api_key}"})
                resp.raise_for_status()
                families = list(text_string_to_metric_families(resp.text))
            except Exception as err:
                log.warning("LLM endpoint %s: its /metrics could not be read (%s)", endpoint.shown_url,
                            redact_text(f"{type(err).__name__}: {err}"))
                continue
            for family in families:
                into = merged.setdefault(family.name, Metric(family.name, family.documentation, family.type,
                                                             family.unit))
                for s in family.samples:
                    into.add_sample(s.name, {**s.labels, "endpoint": endpoint.shown_url}, s.value, s.timestamp,
                                    s.exemplar)
        yield from merged.values()
