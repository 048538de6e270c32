"""The answer engine: follow-up -> retrieve in the space -> prompt with numbered sources -> stream tokens ->
citations that map each [n] to a file and page."""
from __future__ import annotations

import asyncio
import re
import time
from dataclasses import asdict, dataclass, field
from typing import AsyncIterator

from llama_index.core.llms import ChatMessage, MessageRole

from rag import prompts, textproc
from rag.llm import LLMPool, LLMUnavailable
from rag.retrieve import Retriever
from rag.translate import translate_query

_CITATION = re.compile(r"\[(\d{1,2})\]")
_HISTORY_TURNS = 4          # messages of history passed to the LLM
_HISTORY_CHARS = 1200       # per message
_LANGUAGE_TTL_S = 30.0      # how long a space's document language is cached


@dataclass
class Source:
    n: int
    file: str
    page: int | None
    score: float
    text: str
    doc_id: str = ""
    heading: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Answer:
    answer: str
    sources: list[Source]
    cited: list[int] = field(default_factory=list)
    language: str = "en"
    error: str = ""
    timings: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"answer": self.answer, "sources": [s.to_dict() for s in self.sources], "cited": self.cited,
                "language": self.language, "error": self.error, "timings": self.timings}


def _text_of(content) -> str:
    """Chat message content as text: a string, or a list of parts (gradio 6 messages)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(_text_of(p.get("text", "") if isinstance(p, dict) else p) for p in content)
    if isinstance(content, dict):
        return str(content.get("text", ""))
    return str(content or "")


def retrieval_query(question: str, history: list[dict]) -> str:
    """A short follow-up ("а кто ответственный?") is searched together with the previous question."""
    previous = [_text_of(m.get("content")) for m in history if m.get("role") == "user"]
    if previous and len(question.split()) <= 6:
        return f"{previous[-1]} {question}"
    return question


def cited_numbers(answer: str, count: int) -> list[int]:
    seen: list[int] = []
    for match in _CITATION.finditer(answer):
        n = int(match.group(1))
        if 1 <= n <= count and n not in seen:
            seen.append(n)
    return seen


def supporting_source(answer: str, question: str, sources: list[Source]) -> int | None:
    """When the model cites nothing, the source that best supports the answer: the one sharing most stems with
    the answer (double weight) and the question. None when nothing is shared."""
    answer_stems = set(textproc.content_stems(answer))
    question_stems = set(textproc.content_stems(question))
    best, best_score = None, 0.0
    for s in sources:
        text_stems = set(textproc.content_stems(s.text))
        score = 2 * len(answer_stems & text_stems) + len(question_stems & text_stems)
        if score > best_score:
            best, best_score = s.n, score
    return best


def citation_block(sources: list[Source], cited: list[int], lang: str) -> str:
    shown = [s for s in sources if s.n in cited] or sources
    lines = [f"[{s.n}] {prompts.source_label(s.file, s.page, lang)}" for s in shown]
    return f"\n\n{prompts.SOURCES_HEADING[lang]}:\n" + "\n".join(lines) if lines else ""


class Engine:
    def __init__(self, retriever: Retriever, llm: LLMPool | None, top_k: int = 5,
                 query_translation: str = "auto") -> None:
        self.retriever, self.llm, self.top_k = retriever, llm, top_k
        self.query_translation = query_translation
        self._languages: dict[str, tuple[float, str]] = {}

    def space_language(self, space: str) -> str:
        cached = self._languages.get(space)
        if cached and time.monotonic() - cached[0] < _LANGUAGE_TTL_S:
            return cached[1]
        lang = self.retriever.store.space_language(space)
        self._languages[space] = (time.monotonic(), lang)
        return lang

    async def find_sources(self, space: str, question: str, history: list[dict] | None = None,
                           top_k: int | None = None) -> tuple[list[Source], dict]:
        """The sources for a question: the follow-up joined to its context, translated into the documents' language
        when it is asked in another (QUERY_TRANSLATION=auto), then retrieved. Returns (sources, timings)."""
        started = time.perf_counter()
        query = retrieval_query(question, history or [])
        also: tuple[str, ...] = ()
        timings: dict = {}
        if self.query_translation == "auto" and self.llm is not None:
            target = await asyncio.to_thread(self.space_language, space)
            if target and target != prompts.detect_language(question):
                translated = await translate_query(self.llm, query, target)
                timings["translate_ms"] = round((time.perf_counter() - started) * 1000, 1)
                if translated:
                    also, timings["translation"] = (translated,), translated
        sources = await asyncio.to_thread(self.retrieve, space, query, top_k, also)
        timings["retrieve_ms"] = round((time.perf_counter() - started) * 1000, 1)
        return sources, timings

    def retrieve(self, space: str, query: str, top_k: int | None = None, also: tuple[str, ...] = ()) -> list[Source]:
        found = self.retriever.retrieve(space, query, top_k or self.top_k, also)
        return [Source(n=i, file=str(nws.node.metadata.get("file_name", "")), page=nws.node.metadata.get("page"),
                       score=round(float(nws.score or 0.0), 4), text=nws.node.get_content(),
                       doc_id=str(nws.node.ref_doc_id or ""), heading=str(nws.node.metadata.get("heading") or ""))
                for i, nws in enumerate(found.nodes, start=1)]

    def messages(self, question: str, sources: list[Source], history: list[dict], lang: str) -> list[ChatMessage]:
        msgs = [ChatMessage(role=MessageRole.SYSTEM, content=prompts.SYSTEM[lang])]
        for m in history[-_HISTORY_TURNS:]:
            role = MessageRole.USER if m.get("role") == "user" else MessageRole.ASSISTANT
            msgs.append(ChatMessage(role=role, content=_text_of(m.get("content"))[:_HISTORY_CHARS]))
        msgs.append(ChatMessage(role=MessageRole.USER, content=prompts.user_message(question, sources, lang)))
        return msgs

    async def astream(self, space: str, question: str, history: list[dict] | None = None,
                      top_k: int | None = None) -> AsyncIterator[dict]:
        """Events: {"type": "sources", "sources": [...]}, {"type": "token", "text"}, then
        {"type": "done", "answer": Answer}. LLM failures end with an error, and the sources stay shown."""
        history = history or []
        started = time.perf_counter()
        lang = prompts.detect_language(question)
        sources, timings = await self.find_sources(space, question, history, top_k)
        if self.llm is not None:  # only what fits the model's context is sent, shown and cited
            history_chars = sum(min(len(_text_of(m.get("content"))), _HISTORY_CHARS) for m in history[-_HISTORY_TURNS:])
            sources = prompts.fit_sources(sources, self.llm.context_window, self.llm.max_tokens, question,
                                          history_chars, self.llm.chars_per_token)
        yield {"type": "sources", "sources": sources, "language": lang}
        if not sources:
            text = prompts.NO_ANSWER[lang]
            yield {"type": "token", "text": text}
            yield {"type": "done", "answer": Answer(text, [], [], lang, timings=timings)}
            return
        parts: list[str] = []
        error = ""
        try:
            if self.llm is None:
                raise LLMUnavailable("no LLM is configured")
            async for delta in self.llm.astream_chat(self.messages(question, sources, history, lang)):
                if not parts:
                    timings["first_token_ms"] = round((time.perf_counter() - started) * 1000, 1)
                parts.append(delta)
                yield {"type": "token", "text": delta}
        except LLMUnavailable as err:
            error = str(err)
        except Exception as err:  # a garbage or dying endpoint must not take the chat down
            error = f"LLM error: {type(err).__name__}: {err}"
        answer = "".join(parts).strip()
        cited = cited_numbers(answer, len(sources))
        if answer and not cited and not error and prompts.NO_ANSWER[lang] not in answer:
            best = supporting_source(answer, question, sources)
            if best is not None:  # the model gave no marker: attribute the answer to its best-supported source
                cited = [best]
                answer += f" [{best}]"
                yield {"type": "token", "text": f" [{best}]"}
        if error:
            note = {"ru": "Модель недоступна, ответ не получен. Найденные источники показаны ниже.",
                    "en": "The language model is unavailable, so there is no answer. The sources found are shown."}
            answer = f"{answer}\n\n{note[lang]}\n({error})".strip()
            yield {"type": "token", "text": f"\n\n{note[lang]}"}
        timings["total_ms"] = round((time.perf_counter() - started) * 1000, 1)
        yield {"type": "done", "answer": Answer(answer, sources, cited, lang, error, timings)}

    async def ask(self, space: str, question: str, history: list[dict] | None = None,
                  top_k: int | None = None) -> Answer:
        result = None
        async for event in self.astream(space, question, history, top_k):
            if event["type"] == "done":
                result = event["answer"]
        assert result is not None
        return result
