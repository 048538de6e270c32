"""Readers' feedback as evaluation items, in the format of the eval sets (`rag.eval --dataset`): {id, question,
answer, source, evidence, kind}, plus what the reader said. A thumbs-up answer becomes the expected answer, with
the first source it cites as the expected source; a thumbs-down keeps the model's answer and the comment apart
and leaves `answer` empty for a curator to fill in (an item without an answer is not scored for accuracy)."""
from __future__ import annotations

from rag.types import Feedback


def eval_item(feedback: Feedback) -> dict:
    cited = [s for s in feedback.sources if s.cited] or feedback.sources
    first = cited[0] if cited else None
    good = feedback.rating > 0
    return {
        "id": f"feedback-{feedback.id[:12]}",
        "question": feedback.question,
        "answer": feedback.answer if good else "",
        "source": first.file if first and good else None,
        "evidence": None,
        "kind": "feedback",
        "lang": feedback.language or None,
        "rating": feedback.rating,
        "comment": feedback.comment,
        "model_answer": feedback.answer,
        "cited_sources": [{"file": s.file, "page": s.page} for s in cited],
        "created": feedback.created,
    }


def eval_items(feedback: list[Feedback], rating: int | None = None) -> list[dict]:
    """Every rating (or only +1 / -1), oldest first."""
    return [eval_item(f) for f in feedback if rating is None or f.rating == rating]
