"""The abstention gate on a real space (eight demo protocols, packaged embedder, both store engines): a question
about borscht shares no word with the protocols and finds nothing, without the LLM; a slangy or English question
about them passes; the filter of searched files is honoured; and the words counted are the meaningful ones."""
import pytest

from rag.retrieval.coverage import content_words, coverage
from rag.retrieval.hybrid import HybridSearch, RetrievalOptions, files_filter

GATED = RetrievalOptions(min_coverage=0.34)


def _share(space, *phrasings, files=()):
    return coverage(space.store.client, space.store.collection_of("s"), list(phrasings), files_filter(files))


def test_content_words_skip_stop_words_numbers_and_repeats():
    assert [t for _, t in content_words("Сколько критических уязвимостей выявил аудит в 2024 году? Аудит!")] == \
        ["критических", "уязвимостей", "выявил", "аудит", "году"]
    assert content_words("что это?") == []


@pytest.mark.slow
def test_off_topic_questions_find_nothing_and_on_topic_ones_pass(space):
    search = HybridSearch(space.store, space.embedder, GATED)
    for question in ("Как приготовить борщ?", "Напиши стихотворение про осень", "How do I bake sourdough bread?"):
        found = search.retrieve("s", question, 3)
        assert found.nodes == [] and found.timings["coverage"] < 0.34, (question, found.timings)
    # the embedder alone would not tell: the off-topic question's best chunk is as close as many answerable ones'
    assert HybridSearch(space.store, space.embedder, RetrievalOptions()).retrieve("s", "Как приготовить борщ?",
                                                                                  3).nodes
    for question in ("Сколько критичных дыр нашли на аудите?", "Сколько критических уязвимостей выявил аудит?"):
        assert search.retrieve("s", question, 3).nodes, question
    # an English question over Russian documents passes on its translation
    assert _share(space, "How many critical vulnerabilities did the audit find?") < 0.34
    found = search.retrieve("s", "How many critical vulnerabilities did the audit find?", 3,
                            ("Сколько критических уязвимостей выявил аудит?",))
    assert found.nodes and "coverage" not in found.timings


@pytest.mark.slow
def test_coverage_counts_words_of_the_searched_files_only(space):
    audit = "protocol_001_audit_committee_meeting.txt"
    assert _share(space, "уязвимости аудит") == 1.0
    assert _share(space, "уязвимости аудит", files=(audit,)) == 1.0
    others = tuple(n.node.metadata["file_name"] for n in space.search.retrieve("s", "кредитный комитет", 8).nodes
                   if n.node.metadata["file_name"] != audit and "уязвим" not in n.node.get_content())
    assert others
    assert _share(space, "уязвимостей", files=others[:1]) == 0.0
    assert _share(space, "2024 что это") is None   # nothing to judge by: no gate
