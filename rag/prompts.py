"""Prompt text for the answer step, in the language of the question."""
from __future__ import annotations

import re

_CYRILLIC = re.compile(r"[А-Яа-яЁё]")
_LATIN = re.compile(r"[A-Za-z]")


def detect_language(text: str) -> str:
    """'ru' when the text has more Cyrillic than Latin letters, else 'en'."""
    return "ru" if len(_CYRILLIC.findall(text)) >= max(1, len(_LATIN.findall(text))) * 0.5 else "en"


NO_ANSWER = {
    "ru": "В загруженных документах нет ответа на этот вопрос.",
    "en": "The uploaded documents do not contain the answer to this question.",
}

SOURCES_HEADING = {"ru": "Источники", "en": "Sources"}
PAGE_WORD = {"ru": "стр.", "en": "p."}

SYSTEM = {
    "ru": (
        "Ты помощник, который отвечает на вопросы только по приведённым фрагментам документов.\n"
        "Правила:\n"
        "1. Отвечай только на русском языке, кратко и точно.\n"
        "2. Используй только факты из фрагментов. После каждого факта ставь номер фрагмента в квадратных "
        "скобках, например [1].\n"
        f"3. Если во фрагментах нет ответа, ответь ровно: «{NO_ANSWER['ru']}»"
    ),
    "en": (
        "You are an assistant that answers questions using only the numbered document excerpts given.\n"
        "Rules:\n"
        "1. Answer in English, briefly and precisely, even when the excerpts are in another language.\n"
        "2. Use only facts from the excerpts. After each fact put the excerpt number in square brackets, "
        "for example [1].\n"
        f"3. If the excerpts do not contain the answer, reply exactly: \"{NO_ANSWER['en']}\""
    ),
}

CONTEXT_HEADER = {"ru": "Фрагменты документов:", "en": "Document excerpts:"}
QUESTION_HEADER = {"ru": "Вопрос:", "en": "Question:"}


def source_label(file_name: str, page: int | None, lang: str) -> str:
    return f"{file_name}, {PAGE_WORD[lang]} {page}" if page else file_name


def format_context(sources: list, lang: str) -> str:
    """The numbered excerpts, best last: small models read what is nearest the question best. On 20 dev questions
    Qwen 0.5B answered 8 of 17 right this way against 3 of 17 with the best first (rag.eval, temperature 0)."""
    blocks = [f"[{s.n}] ({source_label(s.file, s.page, lang)})\n{s.text}" for s in reversed(sources)]
    return CONTEXT_HEADER[lang] + "\n\n" + "\n\n".join(blocks)


_PROMPT_OVERHEAD_TOKENS = 250


def fit_sources(sources: list, context_window: int, answer_tokens: int, question: str, history_chars: int,
                chars_per_token: float = 2.0) -> list:
    """The sources that fit the model's context next to the instructions, the history, the question and room for
    the answer: in rank order, the last one cut short if it crosses the budget, the rest left out. Text is
    measured in characters at the tokenizer's rate for Russian (Qwen about 2.3 per token, SmolLM2 1.2)."""
    budget = (context_window - answer_tokens - _PROMPT_OVERHEAD_TOKENS) * chars_per_token
    budget -= len(question) + history_chars
    kept = []
    for s in sources:
        cost = len(s.text) + 80
        if cost <= budget:
            kept.append(s)
            budget -= cost
        elif budget > 400:
            s.text = s.text[:int(budget) - 80].rsplit(" ", 1)[0] + " …"
            kept.append(s)
            break
        else:
            break
    return kept or sources[:1]


def user_message(question: str, sources: list, lang: str) -> str:
    return f"{format_context(sources, lang)}\n\n{QUESTION_HEADER[lang]} {question}"
