"""Scripts written without spaces: every "N words" rule counts their characters."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import polars as pl
import pytest

from cleaners import CleanConfig, ExtractionError, clean_html
from cleaners.boilerplate import rule_verdicts
from cleaners.core import count_keys, looks_like_title
from cleaners.signals import WORD_PATTERN, count_words

MULTILINGUAL = (
    Path(__file__).resolve().parents[3] / "shared" / "devset" / "multilingual-dev.jsonl.gz"
)
# Written here, not taken from the dev pages: one sentence per unspaced script.
SENTENCES = {
    "ja": "昨日の午後、東京で大きな地震があった。",
    "zh": "今天上午北京下了一场大雨。",
    "th": "วันนี้ฝนตกหนักมาก",
    "my": "ဒီနေ့မိုးအရမ်းရွာတယ်",
    "km": "ថ្ងៃនេះភ្លៀងខ្លាំង",
    "lo": "ມື້ນີ້ຝົນຕົກໜັກ",
}


@pytest.mark.parametrize("lang", sorted(SENTENCES))
def test_a_sentence_of_an_unspaced_script_counts_its_characters(lang: str) -> None:
    text = SENTENCES[lang]
    letters = sum(not c.isspace() and c not in "、。，" for c in text)
    assert count_words(text) == letters


def test_spaced_scripts_count_words_as_before() -> None:
    assert count_words("Don't stop the well-known band — 2024 edition") == 7
    assert count_words("Путин заявил, что 한국어 문장") == 5


def test_polars_and_python_read_the_word_pattern_alike() -> None:
    texts = [*SENTENCES.values(), "mixed 日本語 text, it's here", "x-y z 漢字abc"]
    polars = pl.Series(texts).str.count_matches(WORD_PATTERN).to_list()
    assert polars == [count_words(t) for t in texts]


def test_rules_read_a_japanese_line_as_many_words() -> None:
    frame = rule_verdicts([SENTENCES["ja"]])
    assert frame["n_words"].to_list() == [count_words(SENTENCES["ja"])]


def test_a_short_japanese_line_is_counted_for_repetition() -> None:
    # "4+ words" for repeated lines: a space-split count made this line one word.
    assert len(count_keys("東京で地震\nOk", CleanConfig())) == 1


def test_a_japanese_headline_looks_like_a_title() -> None:
    assert looks_like_title("東京で大きな地震", 30)
    assert not looks_like_title(SENTENCES["ja"], 30)  # ends like a sentence


@pytest.mark.skipif(
    not MULTILINGUAL.exists(), reason=f"the devset is not at {MULTILINGUAL} (../shared/devset)"
)
def test_no_multilingual_article_is_rejected_as_navigation() -> None:
    """Every page of ``multilingual-dev`` is an article (its truth has 40+ words, or 80+
    characters of an unspaced script): clean_html must not reject it as
    ``no_main_text``. Before, 11 of 13 Chinese and Japanese pages were."""
    with gzip.open(MULTILINGUAL, "rt", encoding="utf-8") as fh:
        pages = [json.loads(line) for line in fh]
    rejected = []
    for page in pages:
        if len(page["truth"]) < 80:
            continue
        try:
            clean_html(page["html"], url=page["url"])
        except ExtractionError as e:
            rejected.append((page["id"], page["lang"], str(e)[:60]))
    assert rejected == []
