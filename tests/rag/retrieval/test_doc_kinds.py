"""Document kinds: what file names, titles and questions name, and the re-ordering that prefers the named kind."""
from llama_index.core.schema import NodeWithScore, TextNode

from rag.retrieval.doc_kinds import kinds_of, prefer_kinds


def test_kinds_from_file_names_titles_and_questions_in_both_languages():
    assert kinds_of("messenger_correspondence/whatsapp_chat_003_quantum.txt ПЕРЕПИСКА В WHATSAPP") == {"chat",
                                                                                                      "whatsapp"}
    assert kinds_of("email_thread_009_merger.txt ПЕРЕПИСКА ПО EMAIL") == {"email"}
    assert kinds_of("Протокол заседания правления.docx") == {"protocol"}
    assert kinds_of("Сколько стоит проект по рабочему плану?") == {"plan"}
    assert kinds_of("What does the cloud strategy deck budget for databases?") == {"presentation"}
    assert kinds_of("Что решили в телеге?") == {"telegram", "chat"}
    assert kinds_of("Что прислали по e-mail?") == {"email"}
    # words that only look like kinds
    assert kinds_of("Когда планируют запуск в декабре, почти готово?") == set()


def _node(file_name: str, title: str, score: float) -> NodeWithScore:
    return NodeWithScore(node=TextNode(text=file_name, metadata={"file_name": file_name, "title": title}),
                         score=score)


def _files(nodes: list[NodeWithScore]) -> list[str]:
    return [n.node.metadata["file_name"] for n in nodes]


def test_the_named_kind_comes_first_softly():
    nodes = [_node("telegram_chat_005_quantum.txt", "ПЕРЕПИСКА В TELEGRAM", 0.10),
             _node("technical_spec_008_quantum.txt", "ТЕХНИЧЕСКАЯ СПЕЦИФИКАЦИЯ", 0.09),
             _node("whatsapp_chat_003_quantum.txt", "ПЕРЕПИСКА В WHATSAPP", 0.06),
             _node("whatsapp_chat_009_other.txt", "ПЕРЕПИСКА В WHATSAPP", 0.02)]
    question = ["Какие протоколы распределения ключей назвали в вотсапе?"]
    ordered = prefer_kinds(nodes, question, 1.0)
    assert _files(ordered) == ["whatsapp_chat_003_quantum.txt", "telegram_chat_005_quantum.txt",
                               "technical_spec_008_quantum.txt", "whatsapp_chat_009_other.txt"]
    assert ordered[0].score == 0.12
    # "in the chat" favours every chat, not one messenger; the order among them stays the fused one
    assert _files(prefer_kinds(nodes, ["Что назвали в чате?"], 1.0))[:2] == ["telegram_chat_005_quantum.txt",
                                                                            "whatsapp_chat_003_quantum.txt"]
    # a translation names the kind as well as the question
    assert prefer_kinds(nodes, ["Which protocols?", "Какие протоколы назвали в вотсапе?"], 1.0)[0] is not nodes[0]


def test_nothing_changes_without_a_kind_a_candidate_of_it_or_a_boost():
    nodes = [_node("a_protocol.txt", "ПРОТОКОЛ", 0.1), _node("b_plan.txt", "ПЛАН РАБОТ", 0.05)]
    assert prefer_kinds(nodes, ["Сколько стоит проект?"], 1.0) is nodes
    assert prefer_kinds(nodes, ["Что в презентации?"], 1.0) is nodes
    assert prefer_kinds(nodes, ["Что по плану?"], 0.0) is nodes
