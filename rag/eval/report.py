"""Outputs of the evaluation harness: a metrics table, a per-question report (JSONL and Markdown) and a PNG chart."""
from __future__ import annotations

import json
from pathlib import Path

METRICS = ("hit@1", "hit@5", "mrr", "answer_accuracy", "abstention", "citation_precision")


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.2f}"


def format_table(result: dict) -> str:
    header = "| scope | n | " + " | ".join(METRICS) + " |"
    lines = [header, "|" + "---|" * (len(METRICS) + 2)]
    scopes = [("all", result), *list(result.get("by_lang", {}).items())]
    for name, m in scopes:
        lines.append(f"| {name} | {m['n']} | " + " | ".join(_fmt(m[k]) for k in METRICS) + " |")
    return "\n".join(lines)


def _markdown(rows: list[dict]) -> str:
    lines = ["| id | lang | question | gold | rank | retrieved (rank: file) | answer | correct | abstained |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        retrieved = "<br>".join(f"{x['rank']}: {x['file']}" + (f" p.{x['page']}" if x.get("page") else "")
                                for x in r["retrieved"])
        answer = (r.get("answer") or "").replace("\n", " ").replace("|", "/")
        cells = [r["id"], r["lang"], r["question"], str(r.get("gold")), str(r.get("rank")), retrieved, answer,
                 str(r.get("correct", "")), str(r.get("abstained", ""))]
        lines.append("| " + " | ".join(c.replace("|", "/") if c is not retrieved else c for c in cells) + " |")
    return "\n".join(lines) + "\n"


def write_chart(path: Path, result: dict) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scopes = ["all", *list(result.get("by_lang", {}))]
    values = {s: (result if s == "all" else result["by_lang"][s]) for s in scopes}
    fig, ax = plt.subplots(figsize=(9, 4))
    width = 0.8 / len(scopes)
    for i, scope in enumerate(scopes):
        ys = [values[scope][m] or 0.0 for m in METRICS]
        bars = ax.bar([x + i * width for x in range(len(METRICS))], ys, width,
                      label=f"{scope} (n={values[scope]['n']})")
        ax.bar_label(bars, fmt="%.2f", fontsize=8)
    ax.set_xticks([x + width * (len(scopes) - 1) / 2 for x in range(len(METRICS))], METRICS)
    ax.set_ylim(0, 1.1)
    ax.set_title(f"rag.eval: {result.get('model', '')}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_report(out: Path, result: dict, rows: list[dict]) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    summary = out / "summary.json"
    summary.write_text(json.dumps(result, ensure_ascii=False, indent=1))
    per_question = out / "questions.jsonl"
    per_question.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    markdown = out / "questions.md"
    markdown.write_text(format_table(result) + "\n\n" + _markdown(rows))
    return [summary, per_question, markdown, write_chart(out / "metrics.png", result)]
