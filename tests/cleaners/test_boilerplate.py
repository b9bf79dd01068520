"""Rules by kind of boilerplate, on phrasings the seeds do not contain, and prose that stays."""

from __future__ import annotations

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
        ("Story continues below advertisement", "advertisement"),
        ("Sponsored content", "advertisement"),
        ("Sign up for our daily newsletter", "subscribe"),
        ("Subscribe to our channel for more videos", "subscribe"),
        ("We will never spam you. Unsubscribe at any time.", "subscribe"),
        ("Read more: Senate passes the budget bill", "related_link"),
        ("RELATED: Storm leaves thousands without power", "related_link"),
        ("See also", "related_link"),
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
