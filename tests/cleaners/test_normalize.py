from __future__ import annotations

import pytest

from cleaners import normalize_quotes
from cleaners.normalize import normalize_whitespace, remove_control_chars


def test_quotes_ascii_and_keep() -> None:
    assert normalize_quotes("‘a’ “b” „c“ «d»") == '\'a\' "b" "c" "d"'
    assert normalize_quotes("‘a’", "keep") == "‘a’"


def test_unknown_quote_style_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="quote style"):
        normalize_quotes("x", "fancy")


def test_whitespace_keeps_line_breaks() -> None:
    assert normalize_whitespace(" a\u00a0 b \n\tc\u200b ") == "a b\nc"


def test_unchanged_text_is_returned_as_is() -> None:
    text = "nothing to do here"
    assert normalize_whitespace(text) is text
    assert remove_control_chars(text) is text
