"""Hostile lines finish: a safety net for super-linear regular expressions.

The figures (1 MB lines, growth with size) are in bench/adversarial.py; here every
case runs at 16 KB under a timeout, and the line-level output stays sane.
"""

from __future__ import annotations

import pytest

from bench.workloads.adversarial import cases, patterns, phrases
from cleaners import clean_text

CASES = list(cases(16 * 1024))


def test_the_generator_covers_the_patterns() -> None:
    assert len(patterns()) >= 20
    assert "advertisement" in phrases()
    assert len(CASES) >= 100


@pytest.mark.timeout(120)
def test_hostile_lines_finish() -> None:
    for name, line in CASES:
        result = clean_text(line)
        assert len(result.text) <= len(line) * 2, name
        assert not any(ord(c) < 32 and c != "\n" for c in result.text), name
