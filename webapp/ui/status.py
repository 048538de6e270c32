"""Status panel, as a dashboard: the LLM endpoints as a table, the store and its spaces, the embedder, and live
figures read from the same Prometheus counters /metrics serves (requests, time to first token p50/p95, tokens per
second while answering, ingestion totals). It refreshes on its button and when the tab opens."""
from __future__ import annotations

import math

import gradio as gr

from rag import RagService
from webapp.auth.guard import Guard
from webapp.ui.i18n import headers, say, t, table, ui_language
from webapp.ui.rights import caller, rights
from webapp.ui.safe_text import md_literal

ENDPOINT_COLUMNS = ("url", "model", "state", "latency", "in_flight", "last_ok", "error")
SPACE_COLUMNS = ("space", "documents", "chunks", "embed_model")
FIGURE_COLUMNS = ("figure", "value")
_FIGURES_RU = {"HTTP requests": "HTTP-запросов", "answers": "ответов",
               "time to first token p50 / p95": "время до первого токена p50 / p95",
               "tokens generated": "сгенерировано токенов", "tokens/s while answering": "токенов/с во время ответа",
               "citations supported by their passage": "ссылок, подтверждённых фрагментом",
               "files ingested (ok / skipped / failed)": "файлов загружено (успешно / пропущено / с ошибкой)",
               "chunks written": "записано фрагментов", "feedback (up / down)": "оценок (👍 / 👎)"}
_HEAD = {"en": ("Overall: **{status}**", "Store", "Embedder", "Live figures since start ({uptime:.0f} s)"),
         "ru": ("Итого: **{status}**", "Хранилище", "Эмбеддер", "Текущие показатели с запуска ({uptime:.0f} с)")}


def _samples(service: RagService) -> dict[str, list]:
    out: dict[str, list] = {}
    for metric in service.telemetry.registry.collect():
        for sample in metric.samples:
            out.setdefault(sample.name, []).append(sample)
    return out


def _total(samples: dict[str, list], name: str, **labels: str) -> float:
    return sum(s.value for s in samples.get(name, []) if all(s.labels.get(k) == v for k, v in labels.items()))


def quantile(samples: dict[str, list], name: str, q: float) -> float | None:
    """The q-quantile of a Prometheus histogram, interpolated inside its bucket (as histogram_quantile does)."""
    buckets = sorted(((float(s.labels["le"]), s.value) for s in samples.get(f"{name}_bucket", [])),
                     key=lambda b: b[0])
    count = buckets[-1][1] if buckets else 0
    if not count:
        return None
    rank, lower, below = q * count, 0.0, 0.0
    for bound, cumulative in buckets:
        if cumulative >= rank:
            if math.isinf(bound):
                return lower
            share = (rank - below) / (cumulative - below) if cumulative > below else 1.0
            return lower + (bound - lower) * share
        lower, below = bound, cumulative
    return lower


def figure_rows(service: RagService, lang: str = "en") -> list[list]:
    s, p = _samples(service), "quadrate"
    p50, p95 = (quantile(s, f"{p}_answer_first_token_seconds", q) for q in (0.5, 0.95))
    answering = _total(s, f"{p}_answer_seconds_sum")
    tokens = _total(s, f"{p}_generated_tokens_total")
    supported = _total(s, f"{p}_citations_checked_total", result="supported")
    checked = supported + _total(s, f"{p}_citations_checked_total", result="unsupported")

    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value * 1000:,.0f} ms"

    rows = [["HTTP requests", f"{_total(s, f'{p}_http_requests_total'):,.0f}"],
            ["answers", f"{_total(s, f'{p}_answers_total'):,.0f}"],
            ["time to first token p50 / p95", f"{ms(p50)} / {ms(p95)}"],
            ["tokens generated", f"{tokens:,.0f}"],
            ["tokens/s while answering", f"{tokens / answering:,.1f}" if answering else "-"],
            ["citations supported by their passage",
             f"{supported / checked:.0%} of {checked:,.0f}" if checked else "-"],
            ["files ingested (ok / skipped / failed)", " / ".join(
                f"{_total(s, f'{p}_ingested_files_total', status=k):,.0f}" for k in ("ok", "skipped", "failed"))],
            ["chunks written", f"{_total(s, f'{p}_chunks_written_total'):,.0f}"],
            ["feedback (up / down)", " / ".join(
                f"{_total(s, f'{p}_feedback_total', rating=k):,.0f}" for k in ("up", "down"))]]
    return [[_FIGURES_RU.get(name, name), value] for name, value in rows] if lang == "ru" else rows


def build_status(service: RagService, guard: Guard):
    refresh = gr.Button(t("refresh_status"), elem_id="refresh-status", size="sm")
    overall = gr.Markdown(elem_id="status-overall")
    endpoints = gr.Dataframe(headers=headers("en", ENDPOINT_COLUMNS), label=t("status_llm"), interactive=False,
                             wrap=True, elem_id="status-endpoints")
    with gr.Row():
        spaces = gr.Dataframe(headers=headers("en", SPACE_COLUMNS), label=t("status_spaces"), interactive=False,
                              wrap=True, elem_id="status-spaces")
        figures = gr.Dataframe(headers=headers("en", FIGURE_COLUMNS), label=t("status_figures"),
                               interactive=False, wrap=True, elem_id="status-figures")

    async def report(request: gr.Request):
        lang = ui_language(request)
        if not rights(guard, caller(guard, request), None)["status_tab"]:   # the admin's (or AUTH=off)
            raise gr.Error(say(lang, "not_allowed"))
        health = await service.health()
        head = _HEAD.get(lang, _HEAD["en"])
        store, embedder = health["store"], health["embedder"]
        store_line = (f"location {md_literal(store.get('location', ''))}, {store.get('spaces', 0)} spaces"
                      if store.get("ok") else f"⚠️ {md_literal(store.get('error', 'down'))}")
        text = (f"{head[0].format(status=health['status'])} · LLM {health['llm']['state']}"
                f"{' (embedded llama.cpp)' if health['llm']['embedded'] else ''}\n\n"
                f"**{head[1]}:** {'Qdrant server' if service.store.is_server else 'embedded Qdrant Edge'}, "
                f"{store_line}\n\n**{head[2]}:** {md_literal(embedder['model'])}, {embedder['dim']} dimensions\n\n"
                f"**{head[3].format(uptime=health['uptime_s'])}**")
        rows = [[e.get("url", ""), e.get("model", ""), e.get("state", ""), e.get("latency_ms", ""),
                 e.get("in_flight", 0), e.get("last_ok_s_ago", ""), e.get("error", "")]
                for e in health["llm"]["endpoints"]]
        space_rows = [[s.name, len(service.documents(s.name)), service.count_chunks(s.name), s.embed_model]
                      for s in service.list_spaces()]
        return (text, table(lang, ENDPOINT_COLUMNS, rows), table(lang, SPACE_COLUMNS, space_rows),
                table(lang, FIGURE_COLUMNS, figure_rows(service, lang)))

    refresh.click(report, None, [overall, endpoints, spaces, figures], api_name="status")
    return report, [overall, endpoints, spaces, figures]
