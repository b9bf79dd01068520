"""The title picker: its features, its model file, and the titles cleaning gives."""

from __future__ import annotations

import sys

import pytest

from cleaners import CleanConfig, clean_text, clean_texts
from cleaners.boilerplate import KEEP, Classified, Verdict
from cleaners.core import prepare_text
from cleaners.titles import (
    FEATURES,
    candidate_features,
    default_title_model,
    title_candidates,
    title_key,
)
from tests.conftest import SEEDS, load_golden

GOLDEN = load_golden()

PROSE = [
    "The storm reached the coast on Tuesday night and cut power to thousands of homes.",
    "Officials said the damage to the harbour was extensive and would take weeks to repair.",
    "Schools across the region stayed closed on Wednesday while crews cleared the roads.",
    "Residents were told to stay indoors until the winds eased later in the evening.",
    "The weather service said a second, weaker storm could follow at the weekend.",
    "Insurers expect thousands of claims from homeowners along the northern shore.",
]


def _page(top: list[str]) -> str:
    return "\n".join([*top, *PROSE])


def test_features_describe_a_headline_above_the_article() -> None:
    lines = ["Home", "News", "Storm cuts power to thousands on the coast", *PROSE]
    nav = Verdict(False, "navigation", "nav")
    verdicts = [nav, nav, nav] + [KEEP] * len(PROSE)
    classified = Classified(verdicts, list(range(3, len(lines))), [0, 1, 2])
    cands = title_candidates(lines, classified, 30)
    assert 2 in cands and 0 not in cands  # a one-word menu item is no headline
    rows = candidate_features(lines, classified, cands)
    row = dict(zip(FEATURES, rows[cands.index(2)], strict=True))
    assert row["rel_pos"] == -1 and row["abs_pos"] == 2
    assert row["rule_removed"] == 1 and row["kept"] == 0
    assert row["next_prose"] == 1 and row["ends_sentence"] == 0
    # "storm", "power", "thousands", "the", "coast" are in the article below
    assert row["body_share"] > 0.5


def test_features_take_unspaced_scripts_word_by_character() -> None:
    lines = ["東京で大きな地震", "気象庁は13日、震度5弱の地震があったと発表した。"]
    classified = Classified([KEEP, KEEP], [0, 1], [])
    row = dict(zip(FEATURES, candidate_features(lines, classified, [0])[0], strict=True))
    assert row["n_words"] == 8 and row["body_share"] > 0  # 地 and 震 are in the body


def test_the_shipped_model_reads_back() -> None:
    model = default_title_model()
    assert model is not None and 0 < model.threshold < 1


@pytest.mark.parametrize("gold", GOLDEN, ids=[g["id"] for g in GOLDEN])
def test_the_seeds_keep_their_golden_titles(gold: dict) -> None:
    raw = (SEEDS / f"{gold['id']}.txt").read_text(encoding="utf-8")
    assert clean_text(raw).title == gold["title"]


def test_a_page_without_a_headline_gets_no_title() -> None:
    # The first kept line is headline-shaped, and it is a byline: the rule took it.
    text = _page(["Home", "World", "Politics", "Sign in", "By Ann Lee and Tom Smith"])
    result = clean_text(text)
    assert result.title is None
    assert clean_text("\n".join(PROSE)).title is None


def test_detect_title_off_gives_no_title() -> None:
    raw = (SEEDS / "000_534eac6734c502e5.txt").read_text(encoding="utf-8")
    assert clean_text(raw).title is not None
    assert clean_text(raw, CleanConfig(detect_title=False)).title is None


def test_a_batch_titles_each_text_as_alone() -> None:
    texts = [(SEEDS / f"{g['id']}.txt").read_text(encoding="utf-8") for g in GOLDEN]
    texts.append(_page(["Home", "By Ann Lee and Tom Smith"]))
    assert [r.title for r in clean_texts(texts)] == [clean_text(t).title for t in texts]


def test_a_picked_title_is_not_listed_as_removed() -> None:
    config = CleanConfig()
    for g in GOLDEN:
        text = prepare_text((SEEDS / f"{g['id']}.txt").read_text(encoding="utf-8"), config).text
        result = clean_text(text)
        if result.title:
            assert result.title not in {r.text.strip() for r in result.removed}


def test_title_key_keeps_exactly_what_isalnum_keeps() -> None:
    # every code point, lowercased as title_key does: the regex must agree with isalnum
    every = "".join(map(chr, range(sys.maxunicode + 1))).lower()
    assert title_key(every) == "".join(c for c in every if c.isalnum())
