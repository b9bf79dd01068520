"""cleaners.mojibake.words: the word data, checked against plain reference code."""

from __future__ import annotations

import math
from collections import Counter

import pytest
import wordfreq
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaners.mojibake import words as W


def _reference_trigrams(words: list[str]) -> tuple[dict[str, float], float]:
    """The model as the formula reads, one character at a time."""
    tri: Counter[str] = Counter()
    bi: Counter[str] = Counter()
    uni: Counter[str] = Counter()
    for w in words:
        p = W._BOUNDARY * 2 + w + W._BOUNDARY
        for i in range(2, len(p)):
            tri[p[i - 2 : i + 1]] += 1
            bi[p[i - 1 : i + 1]] += 1
            uni[p[i]] += 1
    ctx2: Counter[str] = Counter()
    ctx1: Counter[str] = Counter()
    for t, n in tri.items():
        ctx2[t[:2]] += n
    for b, n in bi.items():
        ctx1[b[:1]] += n
    total, vocab = sum(uni.values()), len(uni) + 1
    out = {}
    for t, n in tri.items():
        p3 = n / ctx2[t[:2]]
        p2 = bi[t[1:]] / ctx1[t[1]]
        p1 = (uni[t[2]] + 1) / (total + vocab)
        out[t] = math.log10(0.7 * p3 + 0.2 * p2 + 0.1 * p1)
    return out, math.log10(0.01 / vocab)


def _same(got: tuple[dict[str, float], float], want: tuple[dict[str, float], float]) -> None:
    assert got[0].keys() == want[0].keys()
    assert got[1] == pytest.approx(want[1], rel=1e-12)
    for t, v in want[0].items():
        assert got[0][t] == pytest.approx(v, rel=1e-12, abs=1e-12), t


@pytest.mark.parametrize("lang", ["ru", "fr", "el", "tr"])
def test_trigram_model_counts_as_the_formula_reads(lang: str) -> None:
    words = [w for w in wordfreq.top_n_list(lang, 20_000) if w.isalpha()]
    _same(W._trigram_model(words), _reference_trigrams(words))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="abеж\u00e9\U0001d4d0", min_size=0, max_size=6), max_size=12))
def test_trigram_model_on_any_words(words: list[str]) -> None:
    # Empty words, one-letter words and letters outside the BMP included.
    _same(W._trigram_model(words), _reference_trigrams([w for w in words if w]))


def test_word_lists_are_wordfreqs_own() -> None:
    langs = {lang for group in W.WORD_LANGUAGES.values() for lang in group} | {"be", "xx"}
    for wordlist in ("small", "large"):
        available = wordfreq.available_languages(wordlist)
        for lang in sorted(langs):
            assert W._wordlist_path(lang, wordlist) == available.get(lang), (lang, wordlist)
