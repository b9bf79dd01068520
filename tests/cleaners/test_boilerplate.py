"""Rules by kind of boilerplate, on phrasings the seeds do not contain, and prose that stays."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaners.boilerplate import classify_lines


def categories(lines: list[str]) -> list[str | None]:
    return [v.category for v in classify_lines(lines)]


@pytest.mark.parametrize(
    "line,category",
    [
        ("Advertisement", "advertisement"),
        ("- Advertisement -", "advertisement"),
        ("Sponsored content", "advertisement"),
        ("Sign up for our daily newsletter", "subscribe"),
        ("Subscribe to our channel for more videos", "subscribe"),
        ("We will never spam you. Unsubscribe at any time.", "subscribe"),
        ("Read more: Senate passes the budget bill", "related_link"),
        ("RELATED: Storm leaves thousands without power", "related_link"),
        ("Related stories", "related_link"),
        ("Photo by Jane Doe", "photo_credit"),
        ("Image: Reuters/John Smith", "photo_credit"),
        ("John Smith/Getty Images", "photo_credit"),
        ("Skip to main content", "site_chrome"),
        ("Share this article", "site_chrome"),
        ("© 2025 Example Media Group. All rights reserved.", "site_chrome"),
        ("We use cookies to improve your experience on our site.", "site_chrome"),
        ("The post Ten tips for spring appeared first on Garden Weekly.", "syndication"),
        ("This article was originally published on The Conversation.", "syndication"),
        ("Don't miss: the best deals of the week", "promo"),
    ],
)
def test_boilerplate_kinds(line: str, category: str) -> None:
    assert categories([line]) == [category]


@pytest.mark.parametrize(
    "line",
    [
        "The company said more than 2 million people subscribe to its streaming service.",
        "Her newsletter, which she started in 2019, now reaches readers in 40 countries.",
        "The photo, taken in 1972, shows the president at the White House.",
        "Reuters reported that the talks would resume on Monday.",
        "(Reuters contributed.)",
        "Share prices fell 3% after the announcement.",
        "Read the full report on the agency's website, officials said.",
        "Home prices rose for the fifth month in a row.",
    ],
)
def test_prose_is_kept(line: str) -> None:
    assert categories([line]) == [None]


def test_related_header_takes_the_headlines_under_it() -> None:
    lines = [
        "The minister resigned on Friday.",
        "Related stories:",
        "Parliament votes on new budget",
        "What the resignation means for the coalition",
        "Markets steadied after the news, analysts said.",
    ]
    assert categories(lines) == [None, "related_link", "related_link", "related_link", None]


def test_repetition_needs_enough_documents_and_words() -> None:
    lines = [
        "Comments",
        "Follow our live coverage of the election results here",
        "A real sentence that two articles quote.",
    ]
    verdicts = classify_lines(lines, repeated={1: 5, 2: 2}, repeated_min_docs=3)
    assert [v.category for v in verdicts] == ["site_chrome", "repeated_line", None]


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_line_key_matches_the_plain_definition(line: str) -> None:
    """The translate table gives what the character-by-character definition gives."""
    import unicodedata

    from cleaners.signals import line_key

    out = []
    for ch in unicodedata.normalize("NFD", line.lower()):
        cat = unicodedata.category(ch)
        if cat[0] in "PS" or cat == "Mn":
            continue
        out.append("0" if ch.isdigit() else ch)
    assert line_key(line) == " ".join("".join(out).split())


def test_a_paragraph_after_an_ad_marker_is_still_prose() -> None:
    """Ad markers sit inside the article: the model judges a page as if they were not
    there, so no paragraph the golden keeps goes for following one."""
    from cleaners import clean_texts
    from tests.conftest import SEEDS, load_golden

    cases = []  # (seed, paragraph, the seed with an ad marker before that paragraph)
    for gold in load_golden():
        path = SEEDS / f"{gold['id']}.txt"
        lines = path.read_text(encoding="utf-8").split("\n")
        long = [(i, line) for i, line in enumerate(lines) if len(line.split()) >= 25]
        kept, *alone = clean_texts([gold["text"], *(line for _, line in long)])
        for (i, line), cleaned in zip(long, alone, strict=True):
            if cleaned.text in set(kept.text.split("\n")):
                cases.append(
                    (path.name, line, "\n".join([*lines[:i], "ADVERTISEMENT", *lines[i:]]))
                )
    assert cases
    results = clean_texts(page for _, _, page in cases)
    lost = [
        (name, line[:60])
        for (name, line, _), result in zip(cases, results, strict=True)
        if any(r.text == line for r in result.removed)
    ]
    assert lost == []


def test_repeated_lines_that_would_empty_a_document_stay() -> None:
    lines = [
        "The council approved the new harbour plan on Monday evening.",
        "Work on the harbour is to start in the spring, officials said.",
        "Share",
    ]
    every_line = {0: 9, 1: 9}
    verdicts = classify_lines(lines, repeated=every_line, repeated_min_docs=3)
    assert [v.rule for v in verdicts] == ["repetition_overruled"] * 2 + ["ui_label_line"]
    footer = ["A real first paragraph of the article, long enough to matter here.", *lines[1:]]
    verdicts = classify_lines(footer, repeated={1: 9}, repeated_min_docs=3)
    assert [v.category for v in verdicts] == [None, "repeated_line", "site_chrome"]


def test_categories_are_a_closed_list() -> None:
    from cleaners.boilerplate import _remove

    with pytest.raises(ValueError):
        _remove("ads", "some_rule")


def _cases() -> dict:
    import json
    from pathlib import Path

    return json.loads(
        (Path(__file__).parents[1] / "data" / "boilerplate_cases.json").read_text("utf-8")
    )


def _in_articles(line: str) -> list:
    """What cleaning does to ``line`` put in the middle of each golden article."""
    from cleaners import clean_text
    from tests.conftest import load_golden

    out = []
    for gold in load_golden():
        article = gold["text"].split("\n")
        if len(article) < 8:
            continue
        mid = len(article) // 2
        result = clean_text("\n".join([*article[:mid], line, *article[mid:]]))
        out.append([r for r in result.removed if r.text == line])
    assert out, "no golden article of 8+ lines"
    return out


@pytest.mark.parametrize("line", _cases()["keep"])
def test_sentences_that_merely_mention_boilerplate_stay(line: str) -> None:
    assert all(hits == [] for hits in _in_articles(line))


@pytest.mark.parametrize(("line", "category"), _cases()["remove"])
def test_boilerplate_lines_go_with_their_category(line: str, category: str) -> None:
    assert all([h.category for h in hits] == [category] for hits in _in_articles(line))


WCXB = Path(__file__).resolve().parents[3] / "shared" / "devset" / "wcxb-dev-articles.jsonl.gz"


@pytest.mark.skipif(not WCXB.exists(), reason=f"the devset is not at {WCXB} (../shared/devset)")
def test_every_rule_fires_on_boilerplate_of_three_sites() -> None:
    """A rule describes a kind of boilerplate, not one site's: each line of the table
    removes lines that are not in the page's true text on three domains or more of
    the devset's scraped pages."""
    import gzip
    import json

    import polars as pl

    from cleaners.boilerplate import rule_table, rule_verdicts

    with gzip.open(WCXB, "rt", encoding="utf-8") as fh:
        pages = [json.loads(line) for line in fh]
    truth = [{" ".join(x.lower().split()) for x in p["truth"].split("\n")} for p in pages]
    hits = rule_verdicts([p["noisy"] for p in pages]).filter(pl.col("rule").is_not_null())
    domains: dict[str, set[str]] = {r.name: set() for r in rule_table()}
    for d, text, rule in hits.select("doc", "text", "rule").iter_rows():
        if rule in domains and " ".join(text.lower().split()) not in truth[d]:
            domains[rule].add(pages[d]["domain"])
    assert {r: len(s) for r, s in domains.items() if len(s) < 3} == {}
