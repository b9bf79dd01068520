"""Mojibake repair: ftfy behind a fast path, and the damage ftfy cannot see.

ftfy is the engine (``engine.py``). Around it, each repair in a module of its own:

* ``spaced``: UTF-8 misread in a code page and then re-spaced, so that spaces split
  one character's bytes (``РєР ° РЅР ° Р »РІ`` for ``канал в``);
* ``garbled_words``: a single garbled word ftfy declines for want of evidence
  (``pi√π`` for ``più``), repaired when it decodes to a listed word;
* ``residual``: the layer ftfy leaves in doubly garbled text (``–∫`` for ``к``).

``fix_mojibake_and_explain`` runs them by name, in order, to a fixed point, and says
which repair changed the text and which code page each decoded from.
"""

from __future__ import annotations

from collections.abc import Callable

from .codepages import SPACED_ENCODINGS, may_have_mojibake
from .engine import (
    FTFY_CONFIG,
    codecs_ftfy_decoded,
    fix_encoding_mojibake,
    needs_repair,
    triggered_needs_repair,
)
from .garbled_words import codecs_of_garbled_words, find_garbled_words, fix_garbled_words
from .residual import (
    codecs_of_foreign_tokens,
    find_nbsp_sequences,
    find_residual_layers,
    fix_residual_layers,
)
from .spaced import find_spaced_spans, fix_spaced_mojibake
from .words import is_listed_word

__all__ = [
    "FTFY_CONFIG",
    "SPACED_ENCODINGS",
    "codecs_ftfy_decoded",
    "codecs_of_foreign_tokens",
    "codecs_of_garbled_words",
    "find_garbled_words",
    "find_nbsp_sequences",
    "find_residual_layers",
    "find_spaced_spans",
    "fix_encoding_mojibake",
    "fix_garbled_words",
    "fix_mojibake",
    "fix_mojibake_and_explain",
    "fix_residual_layers",
    "fix_spaced_mojibake",
    "is_listed_word",
    "may_have_mojibake",
    "needs_repair",
]

Evidence = dict[int, frozenset[str]]  # line number -> code pages it is known garbled in


def _spaced(text: str, evidence: Evidence) -> tuple[str, set[str]]:
    fixed = fix_spaced_mojibake(text)
    return fixed, _codecs(text, fixed, evidence, _codecs_of_spaced)


def _ftfy(text: str, evidence: Evidence) -> tuple[str, set[str]]:
    fixed = fix_encoding_mojibake(text)
    return fixed, _codecs(text, fixed, evidence, codecs_ftfy_decoded)


def _words(text: str, evidence: Evidence) -> tuple[str, set[str]]:
    fixed = fix_garbled_words(text)
    return fixed, _codecs(text, fixed, evidence, codecs_of_garbled_words)


def _residual(text: str, evidence: Evidence) -> tuple[str, set[str]]:
    if not may_have_mojibake(text):
        return text, set()  # a residual run is a UTF-8 sequence misread: the trigger sees it
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if may_have_mojibake(line):
            # A foreign token that decodes to the line's script is proof of its own.
            if proof := codecs_of_foreign_tokens(line):
                evidence[i] = evidence.get(i, frozenset()) | proof
            lines[i] = fix_residual_layers(line, evidence.get(i, frozenset()))
    fixed = "\n".join(lines)
    changed = {
        c
        for i, (a, b) in enumerate(zip(text.split("\n"), lines, strict=True))
        if a != b
        for c in evidence.get(i, frozenset())
    }
    return fixed, changed


def _codecs_of_spaced(line: str) -> frozenset[str]:
    return frozenset(encoding for _, _, encoding, _ in find_spaced_spans(line))


def _codecs(
    old: str,
    new: str,
    evidence: Evidence,
    codecs_of: Callable[[str], frozenset[str]],
    record: bool = True,
) -> set[str]:
    """The code pages a step decoded the lines it changed from; with ``record``, kept
    as evidence that those lines are garbled there."""
    if old == new:
        return set()
    old_lines, new_lines = old.split("\n"), new.split("\n")
    if len(old_lines) != len(new_lines):
        return set()  # lines no longer align: no evidence taken
    found: set[str] = set()
    for i, (a, b) in enumerate(zip(old_lines, new_lines, strict=True)):
        if a != b:
            codecs = codecs_of(a)
            found |= codecs
            if record:
                evidence[i] = evidence.get(i, frozenset()) | codecs
    return found


# The repairs in order. The spaced repair runs first: ftfy's partial decoding of a
# split span would destroy the evidence. The last two are textwash's additions to
# ftfy (``words=False`` leaves them out and gives ftfy's output).
REPAIRS: tuple[tuple[str, Callable[[str, Evidence], tuple[str, set[str]]], bool], ...] = (
    ("fix_spaced_mojibake", _spaced, False),
    ("fix_mojibake", _ftfy, False),
    ("fix_garbled_words", _words, True),
    ("fix_residual_layers", _residual, True),
)


def fix_mojibake(text: str, *, words: bool = True) -> str:
    """Repair mojibake: spaced mojibake, then ftfy's encoding fixes, then single garbled
    words ftfy declines and the layers it leaves behind, to a fixed point.

    >>> fix_mojibake("donâ€™t")
    'don’t'
    >>> fix_mojibake("our РєР ° РЅР ° Р »РІ Telegram")
    'our канал в Telegram'
    """
    return fix_mojibake_and_explain(text, words=words)[0]


def fix_mojibake_and_explain(text: str, *, words: bool = True) -> tuple[str, list[str]]:
    """Like fix_mojibake, and name the repairs that changed something, in order."""
    text, plan = explain_mojibake(text, words=words)
    return text, list(dict.fromkeys(name for name, _ in plan))


def explain_mojibake(text: str, *, words: bool = True) -> tuple[str, list[tuple[str, str]]]:
    """The repaired text and its plan, as ftfy's ``fix_and_explain`` gives one: each
    (repair, code page it decoded from) that changed the text, in order.

    Lines are repaired one at a time (every repair works line by line); a line no
    repair can change (``needs_repair``) costs three regular-expression scans.

    >>> explain_mojibake("our РєР ° РЅР ° Р »РІ")[1]
    [('fix_spaced_mojibake', 'sloppy-windows-1251')]
    """
    if not may_have_mojibake(text):  # one scan of the text: no line can need repair
        return text, []
    plan: list[tuple[str, str]] = []
    if "\n" not in text:  # one line, already scanned
        return (_repair_line(text, words, plan) if triggered_needs_repair(text) else text), plan
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if needs_repair(line):
            lines[i] = _repair_line(line, words, plan)
    return "\n".join(lines), plan


def _repair_line(line: str, words: bool, plan: list[tuple[str, str]]) -> str:
    evidence: Evidence = {}
    for _ in range(3):  # double-garbled text may need a second round
        before = line
        for name, repair, added in REPAIRS:
            if added and not words:
                continue
            fixed, codecs = repair(line, evidence)
            if fixed != line:
                for codec in sorted(codecs) or [""]:
                    if (name, codec) not in plan:
                        plan.append((name, codec))
            line = fixed
        if line == before or not needs_repair(line):
            break
    return line
