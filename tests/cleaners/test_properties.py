"""Properties of clean_text and clean_html on generated text and pages: never raises,
idempotent, no control characters out, every removed line came from the input."""

from __future__ import annotations

import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleaners import CleanConfig, ExtractionError, clean_html, clean_text
from cleaners.normalize import normalize_line_breaks, normalize_quotes, normalize_whitespace

PHRASES = [
    "ADVERTISEMENT",
    "Sign up for our newsletter",
    "Read also:",
    "Photo: AP",
    "Exit mobile version",
    "© 2025 Example. All rights reserved.",
    "Share",
    "РєР ° РЅР ° Р »РІ",
    "donâ€™t",
    "“quoted”",
    "\u00a0",
    "\t",
    "\x00",
    "\x1b[0m",
    "[link]x[/link]",
    "Type ```x``` to quote code",
    "The minister said the plan would work.",
]
lines = st.one_of(st.text(max_size=80), st.sampled_from(PHRASES))
documents = st.lists(lines, max_size=25).map("\n".join)
# Example counts come from the Hypothesis profile (tests/conftest.py): 150 in the suite,
# 10,000 with --hypothesis-profile=bench (bench/properties.py).
PROPS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _controls(text: str) -> list[str]:
    return [c for c in text if unicodedata.category(c) == "Cc" and c != "\n"]


@PROPS
@given(documents)
def test_never_raises_and_no_control_characters(text: str) -> None:
    result = clean_text(text)
    assert not _controls(result.text)
    assert result.title is None or not _controls(result.title)


@PROPS
@given(documents)
def test_idempotent_without_stripping(text: str) -> None:
    config = CleanConfig(strip_boilerplate=False, detect_title=False)
    once = clean_text(text, config).text
    assert clean_text(once, config).text == once


@PROPS
@given(documents)
def test_another_pass_only_removes_lines(text: str) -> None:
    # Not a fixed point: the line model judges a line by its neighbours (page context),
    # so once chrome is gone a pass over the cleaned text may judge a neighbour anew.
    # What must hold: a pass never adds, reorders or rewrites a line.
    config = CleanConfig(detect_title=False)
    once = clean_text(text, config).text
    twice = clean_text(once, config).text
    remaining = iter(once.split("\n"))
    assert all(line in remaining for line in twice.split("\n") if twice)


@PROPS
@given(documents)
def test_removed_lines_come_from_the_input(text: str) -> None:
    result = clean_text(text)
    # A removal keeps the line after repair and normalization: compare on that form.
    normalized = normalize_whitespace(normalize_quotes(text))
    for removal in result.removed:
        assert removal.text.strip()
        assert 1 <= removal.line_no <= normalize_line_breaks(text).count("\n") + 1
        assert (
            removal.text
            in clean_text(text, CleanConfig(strip_boilerplate=False, detect_title=False)).text
            or removal.text in normalized
        )


TAGS = ["p", "div", "span", "li", "h2", "td", "article", "footer", "nav", "a", "script"]


@st.composite
def html_pages(draw: st.DrawFn) -> str:
    """Pages of generated lines in random (sometimes unclosed) tags."""
    parts = []
    for line in draw(st.lists(lines, max_size=20)):
        tag = draw(st.sampled_from(TAGS))
        close = draw(st.booleans())
        parts.append(f"<{tag}>{line}" + (f"</{tag}>" if close else ""))
    head = draw(st.sampled_from(["", "<head><title>A title</title></head>"]))
    return f"<html>{head}<body>{''.join(parts)}</body></html>"


@PROPS
@given(html_pages())
def test_clean_html_never_raises_but_extraction_errors(page: str) -> None:
    try:
        result = clean_html(page)
    except ExtractionError as exc:
        assert exc.reason  # a stable reason for the reject row
        return
    assert not _controls(result.text)
    assert result.title is None or not _controls(result.title)
    # The output is a fixed point of repair and normalization...
    config = CleanConfig(strip_boilerplate=False, detect_title=False)
    assert clean_text(result.text, config).text == result.text
    # ...and every removed line came from the extracted text, before stripping.
    reference = CleanConfig(strip_boilerplate=False, detect_title=False)
    kept_and_removed = clean_html(page, reference).text
    for removal in result.removed:
        assert removal.text in kept_and_removed
