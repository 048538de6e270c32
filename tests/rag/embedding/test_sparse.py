"""Sparse (BM25-style) vectors: stemmed Russian and English terms, prefixes, transliterated names, saturation."""
from rag.embedding import sparse


def test_terms_stem_both_languages_and_keep_numbers():
    terms = sparse.terms("Выявлены 3 критических уязвимости; the servers were patched in 2.5 days")
    assert "3" in terms and "2.5" in terms
    assert sparse.terms("уязвимость")[0] == sparse.terms("уязвимости")[0]
    assert "server" in terms and "patch" in terms
    assert not {"the", "in"} & set(terms)


def test_prefix_joins_forms_snowball_keeps_apart():
    assert set(sparse.terms("утвердили")) & set(sparse.terms("утверждения"))


def test_capitalised_cyrillic_names_meet_their_latin_spelling():
    assert set(sparse.terms("Дмитрий Волков предложил")) & set(sparse.terms("Dmitry Volkov"))
    assert "~volko" in sparse.terms("Волков") and "~volko" not in sparse.terms("волков")


def test_document_vector_is_sorted_and_saturates():
    vec = sparse.document_vector("платеж платеж платеж платеж система")
    assert vec.indices == sorted(vec.indices) and len(vec.indices) == len(set(vec.indices))
    weights = dict(zip(vec.indices, vec.values, strict=False))
    once = weights[sparse.term_index(sparse.terms("система")[0])]
    four = weights[sparse.term_index(sparse.terms("платеж")[0])]
    assert once < four < 4 * once and four < sparse.K1 + 1


def test_query_vector_counts_each_term_once():
    vec = sparse.query_vector("платеж платеж система")
    assert set(vec.values) == {1.0} and len(vec.indices) == len(set(sparse.terms("платеж система")))
    assert sparse.query_vector("и в на the").indices == []
