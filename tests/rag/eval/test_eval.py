"""The evaluation harness on a small real fixture (tests/data/eval): retrieval metrics, answers through a real
llama.cpp server, the JSON output and the per-question report. Plus the scoring rules themselves."""
import json
import subprocess
import sys

import pytest

from rag.eval.harness import run
from rag.eval.metrics import abstains, answer_correct, is_hit, language_of, numbers, report
from tests.support.paths import ROOT

DATA = ROOT / "tests" / "data" / "eval"
KEYS = {"n", "hit@1", "hit@5", "mrr", "answer_accuracy", "abstention", "citation_precision", "by_lang"}


def test_hit_needs_the_file_and_half_the_evidence():
    evidence = "Выявлены 3 критических уязвимости в системе обработки платежей"
    assert is_hit("...Выявлены 3 критических уязвимости в системе...", "docs/a.txt", "docs/a.txt", evidence)
    assert not is_hit("Выявлены 3 критических уязвимости", "docs/b.txt", "docs/a.txt", evidence)
    assert not is_hit("в системе обработки", "docs/a.txt", "docs/a.txt", evidence)


def test_language_defaults_to_cyrillic_detection():
    assert language_of({"question": "Кто это?"}) == "ru"
    assert language_of({"question": "Who is it?"}) == "en"
    assert language_of({"question": "Who?", "lang": "ru"}) == "ru"


@pytest.mark.parametrize("answer,gold", [
    ("Выявлено три критические уязвимости [1]", "3 критические уязвимости"),
    ("Текучесть 2,5% при нормативе 5% [2]", "2.5% при нормативе до 5% — укладываемся"),
    ("Утверждён 25 января 2025 года", "25.01.2025"),
    ("The meeting was on 20.09.2025", "2025-09-20"),
    ("Резервный поставщик — ИБ-Технологии [3]", "ООО «ИБ-Технологии» (основной — «КиберЗащита»)"),
    ("Заместителем назначен Сидоров А.В.", "Сидорова А.В."),
    ("Budget: 1 500 000 rubles", "1500000 руб."),
])
def test_answer_accuracy_normalises_case_numbers_and_inflection(answer, gold):
    assert answer_correct(answer, gold)


@pytest.mark.parametrize("answer,gold", [
    ("Выявлено 4 уязвимости", "3 критические уязвимости"),
    ("Ответственный — Core", "PMO"),
    ("[3]", "3 критические уязвимости"),   # a citation marker is not a number
    ("", "Kong"),
])
def test_answer_accuracy_rejects_wrong_answers(answer, gold):
    assert not answer_correct(answer, gold)


def test_numbers_canonical_forms():
    assert numbers("2,50 и 1 000 и четыре и 2025-01-25") == {"2.5", "1000", "4", "25.01.2025"}


def test_abstention_phrases():
    assert abstains("В загруженных документах нет ответа на этот вопрос.")
    assert abstains("The documents do not contain information about the net profit.")
    assert abstains("В документах не указан адрес филиала.")
    assert not abstains("Адрес филиала: ул. Баумана, 10 [1]")


def test_report_splits_by_language():
    rows = [{"lang": "ru", "answerable": True, "rank": 1, "correct": True},
            {"lang": "en", "answerable": True, "rank": 3, "correct": False},
            {"lang": "en", "answerable": True, "rank": None, "correct": False},
            {"lang": "ru", "answerable": False, "rank": None, "abstained": True}]
    out = report(rows)
    assert out["hit@1"] == pytest.approx(1 / 3, abs=1e-3) and out["hit@5"] == pytest.approx(2 / 3, abs=1e-3)
    assert out["mrr"] == pytest.approx((1 + 1 / 3) / 3, abs=1e-3)
    assert out["answer_accuracy"] == pytest.approx(1 / 3, abs=1e-3) and out["abstention"] == 1.0
    assert out["by_lang"]["en"]["hit@5"] == 0.5 and out["by_lang"]["ru"]["n"] == 2
    assert out["citation_precision"] is None      # no answer was checked


def test_citation_precision_pools_the_checked_citations():
    rows = [{"lang": "ru", "answerable": True, "rank": 1, "citations_supported": 2, "citations_checked": 3},
            {"lang": "en", "answerable": True, "rank": 1, "citations_supported": 0, "citations_checked": 1},
            {"lang": "en", "answerable": False, "rank": None, "citations_supported": 0, "citations_checked": 0}]
    out = report(rows)
    assert out["citation_precision"] == 0.5 and out["by_lang"]["ru"]["citation_precision"] == round(2 / 3, 4)


@pytest.mark.slow
def test_retrieval_only_on_fixture_finds_every_answer():
    result = run(DATA / "dataset.jsonl", DATA, top_k=5, retrieval_only=True, log=lambda m: None)
    assert result["n"] == 5
    assert result["hit@5"] == 1.0, result["rows"]
    assert result["by_lang"]["en"]["hit@5"] == 1.0
    assert result["answer_accuracy"] is None and result["abstention"] is None


def test_cli_answers_through_a_real_llm_and_writes_the_report(tmp_path, llama_server):
    out = tmp_path / "report"
    proc = subprocess.run(
        [sys.executable, "-m", "rag.eval", "--dataset", str(DATA / "dataset.jsonl"), "--corpus", str(DATA),
         "--json", "--out", str(out), "--set", f"llm_base_url={llama_server.base_url}",
         "--set", f"llm_model={llama_server.alias}", "--set", "llm_max_tokens=48",
         "--set", f"llm_chars_per_token={llama_server.chars_per_token}"],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    metrics = json.loads(proc.stdout.strip().splitlines()[-1])
    assert set(metrics) == KEYS
    assert metrics["hit@5"] == 1.0
    # the tiny test model's answers are scored, whatever their quality
    assert 0.0 <= metrics["answer_accuracy"] <= 1.0 and metrics["abstention"] in (0.0, 1.0)
    assert metrics["citation_precision"] is None or 0.0 <= metrics["citation_precision"] <= 1.0
    rows = [json.loads(line) for line in (out / "questions.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == ["t-1", "t-2", "t-3", "t-4", "t-5"]
    assert all(r["answer"] and r["retrieved"] and "first_token_ms" in r for r in rows[:4])
    # the office in Kazan: no word of it is in the documents, so the gate answers without sources or the LLM
    assert rows[4]["abstained"] and rows[4]["retrieved"] == [] and "first_token_ms" not in rows[4]
    assert rows[0]["retrieved"][0]["file"].startswith("docs/")
    assert (out / "metrics.png").stat().st_size > 5000
    assert "| id |" in (out / "questions.md").read_text()
