"""Documents of the kind a question names come first: «в вотсапе», «по рабочему плану», "in the cloud strategy
deck". A space often holds the same facts in several kinds of document (a deck mirrors a spec, a chat mirrors an
e-mail thread, sometimes with other figures), and the question's kind word is a small part of its embedding.

A document's kinds come from its file name and title line (`whatsapp_chat_003_quantum.txt`, «ПЛАН РАБОТ»,
«Протокол заседания.docx»); a question's from its words (or its translation's). When they meet, the fused score of
that document's chunks is raised by `boost` (a share of itself), and the candidates are ordered again."""
from __future__ import annotations

import re

from llama_index.core.schema import NodeWithScore

# kind -> its words, folded; whole words only ("планируют" is not a plan, "декабрь" not a deck, "почти" not mail)
_WORDS = {
    "chat": "чат чата чате чату чатом чаты чатах чатик чатике chat chats мессенджер мессенджере messenger",
    "whatsapp": "whatsapp вотсап вотсапе вотсапа ватсап ватсапе вацап вацапе",
    "telegram": "telegram телеграм телеграме телеграма телеграмм телеграмме телега телеге телеги тг tg",
    "email": "email emails e-mail mail mails письмо письме письма письмах письмам почта почте почту рассылке имейл "
             "имейле емейл",
    "presentation": "presentation presentations deck slides slide презентация презентации презентацию презентациях "
                    "слайд слайде слайдах слайды деке дека",
    "protocol": "protocol protocols minutes meeting протокол протокола протоколе протоколу протоколах заседание "
                "заседания заседании совещание совещания совещании",
    "plan": "plan plans roadmap план плана плану плане планом планах планы",
    "spec": "spec specs specification specifications спецификация спецификации спецификацию спецификациях тз "
            "техзадание техзадании техзаданию",
    "report": "report reports отчет отчете отчета отчету отчеты отчетах",
}
_KINDS = {word: kind for kind, words in _WORDS.items() for word in words.split()}
_SPLIT = re.compile(r"[\W_]+")


def kinds_of(text: str) -> set[str]:
    """The document kinds the words of a text name (ё folded; file-name parts split on _ and -)."""
    words = _SPLIT.split((text or "").lower().replace("ё", "е"))
    found = {_KINDS[w] for w in words if w in _KINDS}
    if found & {"whatsapp", "telegram"}:
        found.add("chat")
    return found


def question_kinds(phrasings: list[str]) -> set[str]:
    return set().union(*(kinds_of(p) for p in phrasings))


def _doc_kinds(n: NodeWithScore) -> set[str]:
    meta = n.node.metadata
    return kinds_of(f"{meta.get('file_name', '')} {meta.get('title', '')}")


def prefer_kinds(nodes: list[NodeWithScore], phrasings: list[str], boost: float) -> list[NodeWithScore]:
    """The candidates with the named kind's chunks raised; unchanged when the question names no kind or no
    candidate is of it."""
    wanted = question_kinds(phrasings)
    if not wanted or boost <= 0:
        return nodes
    # "chat" alone must not favour every WhatsApp chat over a Telegram one the question also names
    specific = wanted - {"chat"} if wanted & {"whatsapp", "telegram"} else wanted
    raised = [bool(_doc_kinds(n) & specific) for n in nodes]
    if not any(raised):
        return nodes
    scored = [(float(n.score or 0.0) * (1 + boost if up else 1), i, n)
              for i, (n, up) in enumerate(zip(nodes, raised, strict=True))]
    scored.sort(key=lambda t: (-t[0], t[1]))
    return [NodeWithScore(node=n.node, score=s) for s, _, n in scored]
