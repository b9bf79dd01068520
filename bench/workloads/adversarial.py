"""Hostile lines for the regular expressions: long runs of one character, nested
brackets, and near-matches of every literal phrase in every pattern of cleaners/.

Shared by tests/cleaners/test_adversarial.py (a safety net) and bench/adversarial.py
(the figures).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import cleaners.boilerplate
import cleaners.mojibake.codepages
import cleaners.mojibake.engine
import cleaners.mojibake.garbled_words
import cleaners.mojibake.residual
import cleaners.mojibake.spaced
import cleaners.normalize
import cleaners.signals

MODULES = (
    cleaners.signals,
    cleaners.boilerplate,
    cleaners.mojibake.codepages,
    cleaners.mojibake.engine,
    cleaners.mojibake.garbled_words,
    cleaners.mojibake.residual,
    cleaners.mojibake.spaced,
    cleaners.normalize,
)


def patterns() -> list[re.Pattern[str]]:
    """Every compiled pattern at module level in the cleaners."""
    found = []
    for module in MODULES:
        for value in vars(module).values():
            if isinstance(value, re.Pattern) and isinstance(value.pattern, str):
                found.append(value)
    return found


def phrases() -> list[str]:
    """The literal runs (letters and spaces, 5+ characters) inside the patterns."""
    seen: dict[str, None] = {}
    for p in patterns():
        for m in re.finditer(r"[^\W\d_][^\W\d_ ]*(?: [^\W\d_]+)*", p.pattern):
            if len(m.group()) >= 5:
                seen.setdefault(m.group().lower(), None)
    return list(seen)


def _fill(unit: str, size: int) -> str:
    return (unit * (size // max(len(unit), 1) + 1))[:size]


def cases(size: int = 1 << 20) -> Iterator[tuple[str, str]]:
    """(name, one line of about ``size`` characters)."""
    for ch in "a .,-_=*#|/\\'\"«»°·Ã€РÐ0\u00a0\u200b\ufffd!?:;":
        yield f"run of {ch!r}", _fill(ch, size)
    for ch in ("a ", ". ", "Р ", "Ã ", "a.", "- ", "* ", "| ", "Read ", "ADVERTISEMENT "):
        yield f"alternating {ch!r}", _fill(ch, size)
    for open_, close in ("[]", "()", "{}", "<>", "«»", "“”"):
        half = size // 2
        yield f"nested {open_}{close}", open_ * half + close * half
        yield f"unclosed {open_}", _fill(open_ + "x ", size)
    yield "markup residue", _fill("[link]", size // 2) + _fill("[/link", size // 2)
    yield "url-like", "https://" + _fill("a.b/", size)
    yield "email-like", _fill("a@", size)
    yield "mojibake pairs", _fill("РєР° ", size)
    yield "latin mojibake", _fill("Ã©Ã ", size)
    for phrase in phrases():
        near = phrase[:-1] + " "  # every prefix matches, the phrase never completes
        yield f"near {phrase!r}", _fill(near, size)
