"""Word-level text processing shared by sparse retrieval and citation attribution: tokens, Russian and English
Snowball stems, stop words."""
from __future__ import annotations

import re
from functools import lru_cache

import snowballstemmer

_TOKEN = re.compile(r"[0-9]+(?:[.,][0-9]+)*%?|[^\W\d_]+", re.UNICODE)
_CYR = re.compile(r"[а-яё]")
_RU = snowballstemmer.stemmer("russian")
_EN = snowballstemmer.stemmer("english")

STOP_WORDS = frozenset("""
и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только ее мне было вот от меня еще
нет о из ему теперь когда даже ну вдруг ли если уже или ни быть был него до вас нибудь опять уж вам ведь там потом
себя ничего ей может они тут где есть надо ней для мы тебя их чем была сам чтоб без будто чего раз тоже себе под
будет ж тогда кто этот того потому этого какой совсем ним здесь этом один почти мой тем чтобы нее сейчас были куда
зачем всех никогда можно при наконец два об другой хоть после над больше тот через эти нас про всего них какая много
разве три эту моя впрочем хорошо свою этой перед иногда лучше чуть том нельзя такой им более всегда конечно всю между
это какие каков какая какое сколько
the a an and or of to in on at for by with from as is are was were be been being it its this that these those
what which who whom whose how when where why do does did has have had not no yes can could should would will shall
may might must our your their his her my we you they he she i me us them than then there here about into over
""".split())


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    return (_RU if _CYR.search(word) else _EN).stemWord(word)


def tokens(text: str) -> list[str]:
    """Lower-cased word and number tokens (ё folded to е)."""
    return _TOKEN.findall((text or "").lower().replace("ё", "е"))


def raw_tokens(text: str) -> list[tuple[str, str]]:
    """(as written, lower-cased with ё folded) for each word and number token."""
    return [(raw, raw.lower().replace("ё", "е")) for raw in _TOKEN.findall(text or "")]


def is_cyrillic(word: str) -> bool:
    return bool(_CYR.search(word))


def content_stems(text: str) -> list[str]:
    """Stems of the words that carry meaning: stop words dropped, numbers kept as they are."""
    return [t if t[0].isdigit() else stem(t) for t in tokens(text) if t not in STOP_WORDS]
