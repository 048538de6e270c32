"""Our app's own account of where a question's time goes, read from its Prometheus /metrics before and after each
level: the mean retrieval time (query embedding + search, translation excluded), translation time and first-token
time (question received -> first LLM token) of the answers given during the level. Any other server (vLLM exposes
/metrics too) has none of these histograms: then there is nothing to read."""
from __future__ import annotations

import httpx

HISTOGRAMS = {"retrieval": "quadrate_retrieval_seconds", "translation": "quadrate_translation_seconds",
              "first_token": "quadrate_answer_first_token_seconds"}
TOKENS = "quadrate_generated_tokens_total"   # the tokens the app streamed (the Gradio chat shows them batched)


async def app_metrics(client: httpx.AsyncClient, root: str) -> dict[str, float] | None:
    """{"<histogram>_sum": s, "<histogram>_count": n} from `root`/metrics, or None when it has none of ours."""
    try:
        resp = await client.get(f"{root}/metrics", timeout=10.0)
    except httpx.HTTPError:
        return None
    if resp.status_code != 200:
        return None
    found: dict[str, float] = {}
    wanted = {f"{h}_{part}" for h in HISTOGRAMS.values() for part in ("sum", "count")} | {TOKENS}
    for line in resp.text.splitlines():
        name, _, value = line.partition(" ")
        if name in wanted:
            found[name] = float(value)
    return found or None


def metrics_delta(before: dict[str, float], after: dict[str, float] | None) -> dict[str, float | None]:
    """Mean ms per answer of each histogram between two readings (app_retrieval_mean_ms, ...), with the count,
    and the tokens the app generated (app_generated_tokens)."""
    out: dict[str, float | None] = {"app_generated_tokens": None if after is None else
                                    after.get(TOKENS, 0.0) - before.get(TOKENS, 0.0)}
    for key, name in HISTOGRAMS.items():
        if after is None:
            out[f"app_{key}_mean_ms"] = None
            continue
        count = after.get(f"{name}_count", 0.0) - before.get(f"{name}_count", 0.0)
        total = after.get(f"{name}_sum", 0.0) - before.get(f"{name}_sum", 0.0)
        out[f"app_{key}_mean_ms"] = round(total / count * 1000, 1) if count else None
        out[f"app_{key}_count"] = count
    return out
