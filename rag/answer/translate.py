"""Cross-lingual retrieval: a question asked in one language over documents in another is also searched in the
documents' language. The LLM translates the question (a few dozen tokens); retrieval then fuses the original and
the translation. The small multilingual embedder matches Russian to Russian far better than English to Russian, and
the sparse (BM25) branch only ever matches words of the same language.

QUERY_TRANSLATION=auto (the default) translates when the question's language differs from the language most of the
space's documents are in; off never does."""
from __future__ import annotations

import logging
import re

from llama_index.core.llms import ChatMessage, MessageRole

log = logging.getLogger(__name__)

_MAX_CHARS = 400
_MAX_INPUT_CHARS = 1000   # a longer question is translated from its start; the original is searched in full
_INSTRUCTION = {
    "ru": "You are a translator. Translate the text into Russian. Do not answer it. Write only the translation.",
    "en": "You are a translator. Translate the text into English. Do not answer it. Write only the translation.",
}
_ASK = {"ru": "Translate into Russian: ", "en": "Translate into English: "}
# one worked example keeps small models translating instead of answering
_EXAMPLE = {
    "ru": ("Who approved the budget for the new data center and how much was it?",
           "Кто утвердил бюджет на новый дата-центр и какой он был?"),
    "en": ("Кто утвердил бюджет на новый дата-центр и какой он был?",
           "Who approved the budget for the new data center and how much was it?"),
}
_QUOTES = re.compile(r'^[\s"«“\'`]+|[\s"»”\'`]+$')


def clean_translation(text: str, question: str) -> str | None:
    """The first line of the model's reply, without quotes or a leading label; None when it is empty or just
    repeats the question."""
    line = next((ln for ln in text.splitlines() if ln.strip()), "")
    line = re.sub(r"^(?:перевод|translation)\s*:\s*", "", line.strip(), flags=re.IGNORECASE)
    line = _QUOTES.sub("", line)[:_MAX_CHARS]
    if not line or line.casefold() == question.strip().casefold():
        return None
    return line


async def translate_query(llm, question: str, target_lang: str) -> str | None:
    """The question in `target_lang` (ru or en), or None when the LLM gives nothing usable. Reads the reply only up
    to its first line, so a chatty model costs no more than the translation."""
    question = question[:_MAX_INPUT_CHARS]
    example, translation = _EXAMPLE[target_lang]
    messages = [ChatMessage(role=MessageRole.SYSTEM, content=_INSTRUCTION[target_lang]),
                ChatMessage(role=MessageRole.USER, content=_ASK[target_lang] + example),
                ChatMessage(role=MessageRole.ASSISTANT, content=translation),
                ChatMessage(role=MessageRole.USER, content=_ASK[target_lang] + question)]
    parts: list[str] = []
    stream = llm.astream_chat(messages, temperature=0.0)   # the same question searches the same way
    try:
        async for delta in stream:
            parts.append(delta)
            text = "".join(parts)
            if "\n" in text.lstrip() or len(text) > _MAX_CHARS:
                break
    except Exception as err:  # translation is an aid: without it the original question is still searched
        log.warning("query translation failed: %s", err)
        return None
    finally:
        await stream.aclose()
    return clean_translation("".join(parts), question)
