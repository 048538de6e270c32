"""METRICS_LLM_UPSTREAM against the real vLLM (CPU) server: our /metrics re-exports vLLM's own vllm:* families,
labelled by endpoint, next to ours, and the whole output parses; an endpoint that is down is skipped and logged,
never a failed scrape."""
import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.support.servers import serve


def scrape(settings) -> str:
    """Our /metrics, from an app built on `settings`."""
    from app import create_app
    from rag import build_service

    service = build_service(settings)
    try:
        with serve(create_app(settings, service)) as base:
            return httpx.get(f"{base}/metrics", timeout=60).text
    finally:
        service.close()


def test_vllm_metrics_are_re_exported_with_the_endpoint(vllm_server, make_settings, caplog):
    dead = "http://127.0.0.1:9/v1"
    text = scrape(make_settings(llm_base_url=f"{vllm_server.base}/v1,{dead}", llm_model="tiny-llama",
                                llm_max_tokens=16, metrics_llm_upstream=True))
    families = {f.name: f for f in text_string_to_metric_families(text)}
    ours = [name for name in families if name.startswith("quadrate_")]
    upstream = [f for name, f in families.items() if name.startswith("vllm:")]
    assert len(ours) >= 10 and len(upstream) >= 5
    endpoints = {s.labels.get("endpoint") for f in upstream for s in f.samples}
    assert endpoints == {f"{vllm_server.base}/v1"}
    assert any(f.type == "histogram" for f in upstream) and any(f.type == "counter" for f in upstream)
    assert "its /metrics could not be read" in caplog.text and "127.0.0.1:9" in caplog.text


def test_without_the_setting_nothing_is_fetched(vllm_server, make_settings):
    text = scrape(make_settings(llm_base_url=f"{vllm_server.base}/v1", llm_model="tiny-llama", llm_max_tokens=16))
    assert "quadrate_answers_total" in text and "vllm:" not in text
