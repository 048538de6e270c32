"""The citation check: a cited sentence is supported when its passage holds most of its words (stems) and every
number it states; another language is checked by numbers only."""
from rag import Source
from rag.answer.citation_check import check_citations, precision, sentences

AUDIT = Source(n=1, file="audit.txt", score=0.9, text="Выявлены 3 критических уязвимости в системе обработки "
                                                       "платежей. Срок устранения до 15 апреля.")
BUDGET = Source(n=2, file="plan.txt", score=0.8, text="Бюджет проекта составляет 5 млн рублей на 2025 год.")


def test_supported_unsupported_and_wrong_number():
    checks = check_citations("Аудит выявил 3 критические уязвимости в системе платежей [1]. Бюджет проекта "
                             "составляет 7 млн рублей [2]. Уязвимости устранят до 15 апреля [1].",
                             [AUDIT, BUDGET])
    assert [(c.n, c.supported) for c in checks] == [(1, True), (2, False), (1, True)]
    assert checks[1].overlap >= 0.5   # the words match: the wrong number alone makes it unsupported
    assert precision(checks) == round(2 / 3, 4)


def test_a_sentence_citing_the_wrong_passage_is_unsupported():
    [check] = check_citations("Бюджет проекта составляет 5 млн рублей [1].", [AUDIT, BUDGET])
    assert check.n == 1 and check.supported is False and check.overlap < 0.5


def test_another_language_is_checked_by_numbers_or_left_unchecked():
    checks = check_citations("The audit found 3 critical vulnerabilities [1]. The budget is 9 million [2]. "
                             "Payments were affected [1].", [AUDIT, BUDGET])
    assert [c.supported for c in checks] == [True, False, None]
    assert precision(checks) == 0.5


def test_markers_after_the_full_stop_and_list_items_stay_with_their_sentence():
    assert sentences("Первое предложение. [1] Второе!\n- пункт списка [2]") == [
        "Первое предложение [1] .", "Второе!", "пункт списка [2]"]
    assert check_citations("Ответ без ссылок.", [AUDIT]) == [] and precision([]) is None
    assert check_citations("Ссылка на несуществующий источник [7].", [AUDIT]) == []
