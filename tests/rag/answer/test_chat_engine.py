"""Full path with a real llama.cpp OpenAI server: upload -> ask -> streamed answer with citations."""
import asyncio

from rag.answer.citations import cited_numbers, supporting_source
from rag.answer.history import retrieval_query
from rag.types import Source
from webapp.ui.citations import citation_block


def collect(service, space, question, history=None, top_k=None):
    async def run():
        return [event async for event in service.astream(space, question, history, top_k)]

    return asyncio.run(run())


def test_upload_ask_streams_a_cited_answer(service_factory, corpus):
    service = service_factory()
    files = sorted((corpus / "protocols").glob("*.txt"))
    results = service.ingest_files("demo", [(p.name, p) for p in files])
    assert all(r.status == "ok" for r in results)
    events = collect(service, "demo", "Сколько критических уязвимостей выявил аудит?")
    kinds = [e.type for e in events]
    assert kinds[0] == "sources" and kinds[-1] == "done"
    tokens = [e.text for e in events if e.type == "token"]
    assert len(tokens) > 3, "the answer should arrive as a stream of tokens"
    answer = events[-1].answer
    assert answer.answer and not answer.error and answer.language == "ru"
    assert answer.cited, "every answer carries at least one [n] citation"
    files_found = [s.file for s in answer.sources]
    assert "protocol_001_audit_committee_meeting.txt" in files_found
    assert all(s.page is None for s in answer.sources)
    block = citation_block(answer.sources, answer.cited, answer.language)
    assert block.startswith("\n\nИсточники:") and "[" in block
    assert answer.timings["first_token_ms"] > 0


def test_english_question_gets_english_prompt_and_sources(service_factory, corpus):
    service = service_factory()
    audit = corpus / "protocols" / "protocol_001_audit_committee_meeting.txt"
    service.ingest_files("demo", [("protocol_001.txt", audit)])
    answer = asyncio.run(service.ask("demo", "How many critical vulnerabilities did the audit find?"))
    assert answer.language == "en" and answer.sources[0].file == "protocol_001.txt"
    assert answer.answer


def test_follow_up_uses_history(service_factory, corpus):
    history = [{"role": "user", "content": "Какой срок устранения уязвимостей по протоколу аудита?"},
               {"role": "assistant", "content": [{"type": "text", "text": "До 30.04.2024 [1]"}]}]
    query = retrieval_query("а кто ответственный?", history)
    assert "срок устранения" in query and "ответственный" in query
    assert retrieval_query("Какой бюджет утвердили на IT-безопасность в 2024 году?", history).startswith("Какой")
    service = service_factory()
    service.ingest_files("demo", [(p.name, p) for p in sorted((corpus / "protocols").glob("*.txt"))[:6]])
    events = collect(service, "demo", "а кто ответственный?", history)
    assert events[-1].answer.answer
    assert "protocol_001_audit_committee_meeting.txt" in [s.file for s in events[0].sources]


def test_empty_space_says_it_has_no_documents_yet(service_factory):
    service = service_factory()
    service.create_space("empty")
    answer = asyncio.run(service.ask("empty", "What is the budget?"))
    assert answer.notice == "empty_space" and answer.sources == [] and not answer.error
    assert "no documents yet" in answer.answer and "Documents tab" in answer.answer
    answer = asyncio.run(service.ask("empty", "Какой бюджет?"))
    assert "нет документов" in answer.answer and "«Документы»" in answer.answer


def test_dead_llm_gives_a_clear_message_and_keeps_sources(make_settings, corpus):
    from rag import build_service

    service = build_service(make_settings(llm_base_url="http://127.0.0.1:9/v1", llm_model="x"))
    try:
        service.ingest_files("demo", [("p1.txt", corpus / "protocols" / "protocol_001_audit_committee_meeting.txt")])
        answer = asyncio.run(service.ask("demo", "Сколько уязвимостей?"))
        assert answer.error_code == "llm_unavailable" and "127.0.0.1:9" in answer.error
        assert "модель недоступна" in answer.answer and answer.sources
    finally:
        service.close()


def test_citation_numbers_are_parsed_and_mapped():
    sources = [Source(n=1, file="a.pdf", page=3, score=0.9, text="x"),
               Source(n=2, file="b.txt", page=None, score=0.8, text="y")]
    assert cited_numbers("Ответ [2], также [1] и [2], но не [7]", 2) == [2, 1]
    assert citation_block(sources, [2], "ru") == "\n\nИсточники:\n[2] b.txt"
    assert citation_block(sources, [], "en") == "\n\nSources:\n[1] a.pdf, p. 3\n[2] b.txt"


def test_uncited_answer_is_attributed_to_its_best_source():
    sources = [Source(n=1, file="p2.txt", score=0.9, text="Уязвимость: SQL-инъекция в модуле поиска клиентов."),
               Source(n=2, file="p1.txt", score=0.8,
                      text="Выявлены 3 критических уязвимости в системе обработки платежей.")]
    assert supporting_source("3", "Сколько критических уязвимостей выявил аудит?", sources) == 2
    assert supporting_source("xyz", "qqq", sources) is None


def test_excerpts_keep_their_numbers_with_the_best_nearest_the_question():
    from rag.answer import prompts

    sources = [Source(n=i, file=f"f{i}.txt", page=None, score=1.0 / i, text=f"text {i}") for i in (1, 2, 3)]
    message = prompts.user_message("Какой срок?", sources, "ru")
    assert message.index("[3] (f3.txt)") < message.index("[2] (f2.txt)") < message.index("[1] (f1.txt)")
    assert message.index("text 1") < message.index("Вопрос: Какой срок?")


def test_the_prompt_plan_fits_the_context_whatever_the_input():
    """A maximal question and history are cut to bounded shares of the context, and at least part of the best
    source is always sent: the model is never asked more than its context holds."""
    from rag.answer import prompts

    for question_chars, history_chars in ((20, 0), (8000, 0), (8000, 100_000), (300_000, 1_000_000)):
        sources = [Source(n=i, file=f"f{i}.txt", page=None, score=1.0, text="слово " * 400) for i in (1, 2, 3, 4, 5)]
        history = [("user" if i % 2 == 0 else "assistant", "x" * (history_chars // 50)) for i in range(50)]
        plan = prompts.plan_prompt("вопрос " * (question_chars // 7), history, sources, 4096, 512, 2.0)
        sent = len(plan.question) + sum(len(t) for _, t in plan.history) + sum(len(s.text) + 80 for s in plan.sources)
        assert sent <= (4096 - 512 - 250) * 2.0 + 400
        assert plan.sources and plan.sources[0].n == 1 and plan.dropped == 5 - len(plan.sources)
