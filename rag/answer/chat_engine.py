"""The answer engine: follow-up -> retrieve in the space -> prompt with numbered sources -> stream tokens ->
citations that map each [n] to a file and page."""
from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import asdict, dataclass, field
from typing import AsyncIterator

from llama_index.core.llms import ChatMessage, MessageRole

from rag.answer import prompts
from rag.text import stems as stemming
from rag.llm.pool import LLMError, LLMPool, LLMUnavailable
from rag.retrieval.hybrid import Retriever
from rag.answer.translate import translate_query

log = logging.getLogger(__name__)
_CITATION = re.compile(r"\[(\d{1,2})\]")
_HISTORY_TURNS = 4          # messages of history passed to the LLM
_QUERY_CONTEXT_CHARS = 600  # of the previous question, joined to a short follow-up for search
_SURROGATES = re.compile(r"[\ud800-\udfff]")
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
    error_code: str = ""        # llm_unavailable, llm_incomplete, llm_error, space_not_found, internal
    notice: str = ""            # empty_space, no_sources

    def to_dict(self) -> dict:
        return {"answer": self.answer, "sources": [s.to_dict() for s in self.sources], "cited": self.cited,
                "language": self.language, "error": self.error, "error_code": self.error_code,
                "notice": self.notice, "timings": self.timings}


def message_text(content) -> str:
    """Chat message content as text: a string, or a flat list of parts (gradio 6 messages). Nested structures
    are not walked."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p if isinstance(p, str) else str(p.get("text", "")) if isinstance(p, dict) else ""
                        for p in content)
    if isinstance(content, dict):
        return str(content.get("text", ""))
    return ""


def retrieval_query(question: str, history: list[dict]) -> str:
    """A short follow-up ("а кто ответственный?") is searched together with the previous question."""
    previous = [message_text(m.get("content")) for m in history if m.get("role") == "user"]
    if previous and len(question.split()) <= 6:
        return f"{prompts.cut(previous[-1], _QUERY_CONTEXT_CHARS)} {question}"
    return question


def clean_text(text: str) -> str:
    """Text that can be encoded: lone surrogates (possible in JSON and from browsers) become U+FFFD."""
    return _SURROGATES.sub("\ufffd", text or "")


def clean_history(history: list) -> list[dict]:
    """Earlier messages as {role, content: text}: anything else in a history (other keys, nesting, files) is
    dropped, so no client can make the engine walk an arbitrary structure."""
    out = []
    for m in history:
        if isinstance(m, dict) and m.get("role") in ("user", "assistant"):
            out.append({"role": m["role"], "content": clean_text(message_text(m.get("content")))})
    return out


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
    answer_stems = set(stemming.content_stems(answer))
    question_stems = set(stemming.content_stems(question))
    best, best_score = None, 0.0
    for s in sources:
        text_stems = set(stemming.content_stems(s.text))
        score = 2 * len(answer_stems & text_stems) + len(question_stems & text_stems)
        if score > best_score:
            best, best_score = s.n, score
    return best


def citation_block(sources: list[Source], cited: list[int], lang: str, escape=lambda text: text) -> str:
    """"Sources:" and one "[n] file, p. N" line per cited source (all of them when none is cited); `escape`
    makes the file names safe for where the block is shown."""
    shown = [s for s in sources if s.n in cited] or sources
    lines = [f"[{s.n}] {escape(prompts.source_label(s.file, s.page, lang))}" for s in shown]
    return f"\n\n{prompts.SOURCES_HEADING[lang]}:\n" + "\n".join(lines) if lines else ""


class Engine:
    def __init__(self, retriever: Retriever, llm: LLMPool | None, top_k: int = 5,
                 query_translation: str = "auto") -> None:
        self.retriever, self.llm, self.top_k = retriever, llm, top_k
        self.query_translation = query_translation
        # what is searched is cut to what the embedder reads (its token limit, at up to 4 characters a token)
        self.max_query_chars = int(getattr(retriever.embedder, "max_tokens", 512)) * 4
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
        query = prompts.cut(retrieval_query(clean_text(question), clean_history(history or [])),
                            self.max_query_chars)
        also: tuple[str, ...] = ()
        timings: dict = {}
        if self.query_translation == "auto" and self.llm is not None:
            target = await asyncio.to_thread(self.space_language, space)
            if target and target != detect_language(question):
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

    def messages(self, plan: prompts.PromptPlan, lang: str) -> list[ChatMessage]:
        msgs = [ChatMessage(role=MessageRole.SYSTEM, content=prompts.SYSTEM[lang])]
        for role, text in plan.history:
            msgs.append(ChatMessage(role=MessageRole.USER if role == "user" else MessageRole.ASSISTANT, content=text))
        msgs.append(ChatMessage(role=MessageRole.USER, content=prompts.user_message(plan.question, plan.sources,
                                                                                    lang)))
        return msgs

    def _plan(self, question: str, history: list[dict], sources: list[Source]) -> prompts.PromptPlan:
        turns = [("user" if m.get("role") == "user" else "assistant", message_text(m.get("content")))
                 for m in history[-_HISTORY_TURNS:]]
        return prompts.plan_prompt(question, turns, sources, self.llm.context_window, self.llm.max_tokens,
                                   self.llm.chars_per_token)

    def _failure(self, code: str, lang: str, detail: str, partial: str, sources: list[Source], cited: list[int],
                 timings: dict, started: float) -> list[dict]:
        note = prompts.ERROR_NOTES[code][lang]
        timings["total_ms"] = round((time.perf_counter() - started) * 1000, 1)
        answer = Answer(f"{partial}\n\n{note}".strip(), sources, cited, lang, detail, timings, error_code=code)
        log.warning("answer failed (%s): %s", code, detail)
        return [{"type": "token", "text": f"\n\n{note}" if partial else note},
                {"type": "error", "code": code, "message": note, "detail": detail},
                {"type": "done", "answer": answer}]

    async def astream(self, space: str, question: str, history: list[dict] | None = None,
                      top_k: int | None = None) -> AsyncIterator[dict]:
        """Events: {"type": "sources", "sources": [...], "requested", "found", "context_window"}, then
        {"type": "token", "text"}..., then {"type": "done", "answer": Answer}. When no complete answer came, an
        {"type": "error", "code", "message", "detail"} event comes right before "done" (whose Answer carries the
        code and the partial text), and the sources found stay shown."""
        history = clean_history(history or [])
        question = clean_text(question)
        started = time.perf_counter()
        lang = detect_language(question)
        k = top_k or self.top_k
        try:
            found, timings = await self.find_sources(space, question, history, k)
        except Exception as err:  # the space vanished mid-question, or the store failed: a clear end, not a break
            code = "space_not_found" if not await asyncio.to_thread(self._space_exists, space) else "internal"
            if code == "internal":
                log.exception("retrieval failed in space %s", space)
            for event in self._failure(code, lang, f"{type(err).__name__}: {err}", "", [], [], {}, started):
                yield event
            return
        sources = found
        if self.llm is not None:  # only what fits the model's context is sent, shown and cited
            plan = self._plan(question, history, found)
            sources = plan.sources
        yield {"type": "sources", "sources": sources, "language": lang, "requested": k, "found": len(found),
               "context_window": self.llm.context_window if self.llm else None}
        if not sources:
            empty = not await asyncio.to_thread(self._has_documents, space)
            text = (prompts.NO_DOCUMENTS if empty else prompts.NO_ANSWER)[lang]
            yield {"type": "token", "text": text}
            yield {"type": "done", "answer": Answer(text, [], [], lang, timings=timings,
                                                    notice="empty_space" if empty else "no_sources")}
            return
        parts: list[str] = []
        try:
            if self.llm is None:
                raise LLMUnavailable("no LLM is configured")
            async for delta in self.llm.astream_chat(self.messages(plan, lang)):
                if not parts:
                    timings["first_token_ms"] = round((time.perf_counter() - started) * 1000, 1)
                parts.append(delta)
                yield {"type": "token", "text": delta}
        except LLMError as err:
            partial = "".join(parts).strip()
            for event in self._failure(err.code, lang, str(err), partial, sources,
                                       cited_numbers(partial, len(sources)), timings, started):
                yield event
            return
        except Exception as err:  # a garbage endpoint must not take the chat down
            log.exception("answer failed in space %s", space)
            partial = "".join(parts).strip()
            for event in self._failure("llm_error", lang, f"{type(err).__name__}: {err}", partial, sources,
                                       cited_numbers(partial, len(sources)), timings, started):
                yield event
            return
        answer = "".join(parts).strip()
        cited = cited_numbers(answer, len(sources))
        if not cited and prompts.NO_ANSWER[lang] not in answer:
            best = supporting_source(answer, question, sources)
            if best is not None:  # the model gave no marker: attribute the answer to its best-supported source
                cited = [best]
                answer += f" [{best}]"
                yield {"type": "token", "text": f" [{best}]"}
        timings["total_ms"] = round((time.perf_counter() - started) * 1000, 1)
        log.info("answered in space %s: %d sources, %d chars, first token %s ms, total %s ms", space, len(sources),
                 len(answer), timings.get("first_token_ms"), timings["total_ms"])
        yield {"type": "done", "answer": Answer(answer, sources, cited, lang, "", timings)}

    def _space_exists(self, space: str) -> bool:
        try:
            return self.retriever.store.get_space(space) is not None
        except Exception:
            return False

    def _has_documents(self, space: str) -> bool:
        return any(d.status == "ready" for d in self.retriever.store.list_documents(space))

    async def ask(self, space: str, question: str, history: list[dict] | None = None,
                  top_k: int | None = None) -> Answer:
        result = None
        async for event in self.astream(space, question, history, top_k):
            if event["type"] == "done":
                result = event["answer"]
        assert result is not None
        return result
