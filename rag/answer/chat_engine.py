"""The answer path of one space as a LlamaIndex chat engine: follow-up -> (translated) retrieval -> prompt with the
numbered sources that fit the model's context -> streamed tokens -> citations mapping each [n] to a file and page.

`astream_events` is the path every surface takes (UI, REST, OpenAI route, CLI): typed events (SourcesFound,
Token..., AnswerFailed when no complete answer came, AnswerDone). The LlamaIndex methods (`chat`, `achat`,
`stream_chat`, `astream_chat`) are built on it (rag/answer/llamaindex_chat.py), so a LlamaIndex user gets the same
answers with `source_nodes`."""
from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from typing import cast

from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.schema import NodeWithScore, QueryBundle

from rag.answer import prompts
from rag.answer.citation_check import check_citations
from rag.answer.citations import cited_numbers, supporting_source
from rag.answer.history import clean_history, clean_text, retrieval_query
from rag.answer.llamaindex_chat import LlamaIndexChat
from rag.answer.space_facts import SpaceFacts
from rag.answer.translate import translate_query
from rag.errors import LLMContextOverflow, LLMError, LLMUnavailable, StoreError
from rag.llm.pool import LLMPool
from rag.retrieval.retriever import SpaceRetriever
from rag.telemetry import Telemetry
from rag.text.language import detect_language
from rag.types import (
    Answer,
    AnswerDone,
    AnswerEvent,
    AnswerFailed,
    ErrorCode,
    Generation,
    Language,
    Source,
    SourcesFound,
    Token,
    Usage,
)

log = logging.getLogger(__name__)
dispatcher = get_dispatcher(__name__)
_HISTORY_TURNS = 4          # messages of history passed to the LLM
_OVERFLOW_SHRINK = 0.5      # the prompt's budget when a prompt overflowed the LLM's context, for the one retry


def to_source(n: int, nws: NodeWithScore) -> Source:
    meta = nws.node.metadata
    return Source(n=n, file=str(meta.get("file_name", "")), page=meta.get("page"),
                  score=round(float(nws.score or 0.0), 4), text=nws.node.get_content(),
                  heading=str(meta.get("heading") or ""))


class SpaceChatEngine(LlamaIndexChat):
    def __init__(self, retriever: SpaceRetriever, llm: LLMPool | None, facts: SpaceFacts,
                 query_translation: str = "auto", max_query_chars: int = 2048,
                 telemetry: Telemetry | None = None) -> None:
        self.retriever, self.llm, self.facts = retriever, llm, facts
        self.telemetry = telemetry
        self.space = retriever.space
        self.query_translation, self.max_query_chars = query_translation, max_query_chars
        self._history: list[ChatMessage] = []
        self.last_nodes: list[NodeWithScore] = []   # the nodes behind the last answer's sources

    # --- finding sources --------------------------------------------------------------------------
    async def find_nodes(self, question: str, history: list[dict]) -> tuple[list[NodeWithScore], dict]:
        """The nodes for a question: the follow-up joined to its context, translated into the documents' language
        when it is asked in another (QUERY_TRANSLATION=auto), then retrieved. Returns (nodes, timings)."""
        started = time.perf_counter()
        query = prompts.cut(retrieval_query(question, history), self.max_query_chars)
        phrasings: list[str] = [query]
        timings: dict[str, float | str | None] = {}
        target = await self.facts.language(self.space)
        self.retriever.cross_lingual = bool(target) and target != detect_language(question)
        if self.query_translation == "auto" and self.llm is not None and self.retriever.cross_lingual:
            translated = await translate_query(self.llm, query, target)
            timings["translate_ms"] = round((time.perf_counter() - started) * 1000, 1)
            if translated:
                phrasings.append(translated)
                timings["translation"] = translated
        nodes = await self.retriever.aretrieve(QueryBundle(query_str=query, custom_embedding_strs=phrasings))
        timings["retrieve_ms"] = round((time.perf_counter() - started) * 1000, 1)
        return nodes, timings

    # --- the answer stream ------------------------------------------------------------------------
    def _messages(self, plan: prompts.PromptPlan, lang: Language) -> list[ChatMessage]:
        msgs = [ChatMessage(role=MessageRole.SYSTEM, content=prompts.SYSTEM[lang])]
        for role, text in plan.history:
            msgs.append(ChatMessage(role=MessageRole.USER if role == "user" else MessageRole.ASSISTANT, content=text))
        msgs.append(ChatMessage(role=MessageRole.USER, content=prompts.user_message(plan.question, plan.sources,
                                                                                    lang)))
        return msgs

    def _failure(self, code: ErrorCode, lang: Language, detail: str, partial: str, sources: list[Source],
                 timings: dict, started: float) -> list[AnswerEvent]:
        note = prompts.ERROR_NOTES[code][lang]
        timings["total_ms"] = round((time.perf_counter() - started) * 1000, 1)
        answer = Answer(answer=f"{partial}\n\n{note}".strip(), sources=sources,
                        cited=cited_numbers(partial, len(sources)), language=lang, error=detail, timings=timings,
                        error_code=code)
        log.warning("answer failed in space %s (%s) with %s: %s; %d sources, total %s ms", self.space, lang, code,
                    detail, len(sources), timings["total_ms"])
        return [Token(text=f"\n\n{note}" if partial else note, notice=True),
                AnswerFailed(code=code, message=note, detail=detail), AnswerDone(answer=answer)]

    def _plan(self, question: str, turns: list[dict], sources: list[Source], answer_tokens: int,
              shrink: float = 1.0, source_chars: int | None = None) -> prompts.PromptPlan:
        """The prompt that fits the model's context; `shrink` < 1 budgets as if the text took that much more room
        (after the server said the prompt overflowed: our characters-per-token estimate was too high), and
        `source_chars` caps the sources."""
        assert self.llm is not None
        return prompts.plan_prompt(question, [(m["role"], m["content"]) for m in turns[-_HISTORY_TURNS:]],
                                   sources, self.llm.context_window, answer_tokens, self.llm.chars_per_token * shrink,
                                   source_chars)

    def _answer_tokens(self, generation: Generation) -> int:
        """The room kept for the answer: the request's max_tokens (at most half the context), else the setting."""
        assert self.llm is not None
        if generation.max_tokens is None:
            return self.llm.max_tokens
        return max(1, min(generation.max_tokens, self.llm.context_window // 2))

    def _usage(self, served: dict, messages: list[ChatMessage]) -> Usage:
        assert self.llm is not None
        if "usage" in served:
            prompt, completion = served["usage"]
            return Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion,
                         counted="llm")
        prompt = round(sum(len(m.content or "") for m in messages) / self.llm.chars_per_token)
        completion = int(served.get("chunks", 0))
        return Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion)

    async def astream_events(self, question: str, history: list | None = None,
                             generation: Generation | None = None) -> AsyncIterator[AnswerEvent]:
        """SourcesFound, then Token..., then AnswerDone. When no complete answer came, AnswerFailed comes right
        before AnswerDone (whose answer carries the code and the partial text), and the sources stay.
        `generation` sets this answer's max_tokens, temperature and stop words."""
        async for event in self._events(question, history, generation or Generation()):
            if isinstance(event, AnswerDone) and self.telemetry is not None:
                self.telemetry.answered(event.answer)
            yield event

    async def _events(self, question: str, history: list | None,
                      generation: Generation) -> AsyncIterator[AnswerEvent]:
        turns = clean_history(history)
        question = clean_text(question)
        started = time.perf_counter()
        lang = detect_language(question)
        try:
            nodes, timings = await self.find_nodes(question, turns)
        except Exception as err:  # the space vanished mid-question, or the store failed: a clear end, not a break
            code: ErrorCode = "store_error" if isinstance(err, StoreError) else \
                "internal" if await self.facts.exists(self.space) else "space_not_found"
            if code == "internal":
                log.exception("retrieval failed in space %s", self.space)
            for event in self._failure(code, lang, f"{type(err).__name__}: {err}", "", [], {}, started):
                yield event
            return
        found = sources = [to_source(i, nws) for i, nws in enumerate(nodes, start=1)]
        plan, answer_tokens = None, 0
        if self.llm is not None:  # only what fits the model's context is sent, shown and cited
            answer_tokens = self._answer_tokens(generation)
            plan = self._plan(question, turns, found, answer_tokens)
            sources = plan.sources
        self.last_nodes = nodes[:len(sources)]
        yield SourcesFound(sources=sources, language=lang, requested=self.retriever.top_k, found=len(nodes),
                           context_window=self.llm.context_window if self.llm else None)
        if not sources:
            empty = not await self.facts.has_documents(self.space)
            text = (prompts.NO_DOCUMENTS if empty else prompts.NO_ANSWER)[lang]
            yield Token(text=text, notice=True)
            timings["total_ms"] = round((time.perf_counter() - started) * 1000, 1)
            yield AnswerDone(answer=Answer(answer=text, language=lang, timings=timings,
                                           notice="empty_space" if empty else "no_sources"))
            log.info("answered in space %s (%s): no sources, %s", self.space, lang,
                     "empty space" if empty else "nothing found")
            return
        parts: list[str] = []
        served: dict = {}
        messages: list[ChatMessage] = []
        try:
            if self.llm is None or plan is None:
                raise LLMUnavailable("no LLM is configured")
            for shrink in (1.0, _OVERFLOW_SHRINK):
                if shrink != 1.0:  # the prompt overflowed the model's context: once more, half as long
                    sent = sum(len(source.text) + prompts.SOURCE_OVERHEAD_CHARS for source in sources)
                    room = int(sent * shrink)
                    plan = self._plan(question, turns, found, answer_tokens, shrink, room)
                    sources = plan.sources
                    self.last_nodes = nodes[:len(sources)]
                messages = self._messages(plan, lang)
                try:
                    async for delta in self.llm.astream_chat(messages, served=served,
                                                             temperature=generation.temperature,
                                                             max_tokens=answer_tokens, stop=generation.stop):
                        if not parts:
                            timings["first_token_ms"] = round((time.perf_counter() - started) * 1000, 1)
                        parts.append(delta)
                        yield Token(text=delta)
                    break
                except LLMContextOverflow as err:
                    if parts or shrink != 1.0:
                        raise
                    log.warning("the prompt in space %s overflowed the LLM's context (%s); retrying with %d of "
                                "%d sources, shortened", self.space, err, len(sources), len(found))
        except LLMError as err:
            code = cast(ErrorCode, err.code)
            for event in self._failure(code, lang, str(err), "".join(parts).strip(), sources, timings,
                                       started):
                yield event
            return
        except Exception as err:  # a garbage endpoint must not take the chat down
            log.exception("answer failed in space %s", self.space)
            for event in self._failure("llm_error", lang, f"{type(err).__name__}: {err}", "".join(parts).strip(),
                                       sources, timings, started):
                yield event
            return
        answer = "".join(parts).strip()
        cited = cited_numbers(answer, len(sources))
        if not cited and prompts.NO_ANSWER[lang] not in answer:
            best = supporting_source(answer, question, sources)
            if best is not None:  # the model gave no marker: attribute the answer to its best-supported source
                cited = [best]
                answer += f" [{best}]"
                yield Token(text=f" [{best}]")
        timings["total_ms"] = round((time.perf_counter() - started) * 1000, 1)
        log.info("answered in space %s (%s) by %s: %d sources, %d chars, first token %s ms, total %s ms",
                 self.space, lang, served.get("endpoint", "?"), len(sources), len(answer),
                 timings.get("first_token_ms"), timings["total_ms"])
        finish = "length" if served.get("finish_reason") == "length" else "stop"
        yield AnswerDone(answer=Answer(answer=answer, sources=sources, cited=cited, language=lang, timings=timings,
                                       finish_reason=finish, usage=self._usage(served, messages),
                                       citations=check_citations(answer, sources)))

    async def answer(self, question: str, history: list | None = None,
                     generation: Generation | None = None) -> Answer:
        """The finished answer (errors are in it, not raised)."""
        async for event in self.astream_events(question, history, generation):
            if isinstance(event, AnswerDone):
                return event.answer
        raise AssertionError("the answer stream ended without its done event")
