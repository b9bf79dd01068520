"""Spaced mojibake: UTF-8 misread in a code page, then re-spaced.

A "typographic" pass over mojibake puts spaces around the characters it takes for
punctuation (°, ·, «, ») and moves the space after » to before it; other tools put
spaces inside words. Where such a space falls inside one character's bytes, UTF-8
can no longer be decoded and ftfy leaves the line alone (``РєР ° РЅР ° Р »РІ`` for
``канал в``).

Two separate questions, two kinds of evidence:

* **the bytes**: a line is garbled in a code page when a space sits inside a valid
  UTF-8 sequence of that code page (a split). Then every valid sequence of the line
  in that code page is decoded, spaces inside sequences dropped, whether or not the
  word is known to any list: a byte sequence either decodes or it does not;
* **the spaces**: only the boundaries next to a character whose misread bytes begin
  or end with one of °, ·, «, » can have lost or gained a space; every other space
  (and every absence of one) is as the writer left it. Those few boundaries are
  decided by a language model of words (``words.py``: word frequencies, a character
  model for words no list has, a capital letter starts a word) and, next to
  punctuation, by how the language spaces that punctuation (``boundaries.json``).
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import re
from dataclasses import dataclass, field
from importlib import resources

from ..signals import strip_edges
from .codepages import (
    SPACED_ENCODINGS,
    TYPOGRAPHIC,
    byte_chars,
    fix_lines,
    may_have_mojibake,
    script_of,
    splice,
)
from .words import WORD_LANGUAGES, LanguageModel, language_model, listed_words


@functools.lru_cache(maxsize=len(SPACED_ENCODINGS))
def _bytes_of(encoding: str) -> dict[str, int]:
    """character -> byte in ``encoding`` for the bytes 0x80-0xFF."""
    out: dict[str, int] = {}
    for b in range(0x80, 0x100):
        for ch in byte_chars(encoding, b, b):
            out.setdefault(ch, b)
    return out


def _byte_class(encoding: str, first: int, last: int, only: frozenset[str] | None = None) -> str:
    """A regex class of the characters ``encoding`` reads bytes ``first``-``last`` as
    (of ``only``, when given); one that matches nothing when there are none."""
    chars = sorted(
        c
        for c, b in _bytes_of(encoding).items()
        if first <= b <= last and c != " " and (only is None or c in only)
    )
    return "[" + "".join(re.escape(c) for c in chars) + "]" if chars else "(?!)"


@functools.lru_cache(maxsize=len(SPACED_ENCODINGS))
def _split_re(encoding: str) -> re.Pattern[str]:
    """A lead byte, up to two continuation bytes, a space, a continuation byte: where
    a split sequence may be (``parse`` then checks it decodes)."""
    cont = _byte_class(encoding, 0x80, 0xBF)
    return re.compile(f"{_byte_class(encoding, 0xC2, 0xF4)}{cont}{{0,2}} {cont}")


@functools.lru_cache(maxsize=len(SPACED_ENCODINGS))
def _mark_lead_re(encoding: str) -> re.Pattern[str]:
    """A space, then a typographic mark that is a lead byte in ``encoding`` (MacRoman
    reads « » · as lead bytes), then a continuation byte."""
    marks = _byte_class(encoding, 0xC2, 0xF4, TYPOGRAPHIC)
    return re.compile(f" {marks}{_byte_class(encoding, 0x80, 0xBF)}")


@functools.lru_cache(maxsize=len(SPACED_ENCODINGS))
def _mark_end_re(encoding: str) -> re.Pattern[str]:
    """A sequence whose last byte reads as a typographic mark, then a space: where a
    typographic pass put the space it puts after "«"."""
    cont = _byte_class(encoding, 0x80, 0xBF)
    lead = _byte_class(encoding, 0xC2, 0xF4)
    return re.compile(f"{lead}{cont}{{0,2}}{_byte_class(encoding, 0x80, 0xBF, TYPOGRAPHIC)} ")


def _respaced(line: str, pieces: list[Piece]) -> bool:
    """Proof that a re-spacing pass went over the misread line: a space inside a
    sequence (a split), or a typographic pass that left a space before a sequence
    whose first byte reads as one of its marks (MacRoman "»" is the lead byte of "ș"),
    or after one whose last byte does (windows-1252 "Ã« " for "ë": the space after "«"
    falls outside the sequence, so nothing is split, but it may not be the writer's)."""
    if any(p.split for p in pieces):
        return True
    return typographic_pass(line) and any(
        p.decoded
        and (
            (p.start > 0 and line[p.start - 1] == " " and line[p.start] in TYPOGRAPHIC)
            or (p.end < len(line) and line[p.end] == " " and line[p.end - 1] in TYPOGRAPHIC)
        )
        for p in pieces
    )


def _need(lead: int) -> int:
    """Continuation bytes a UTF-8 lead byte takes (0: not a lead byte)."""
    if 0xC2 <= lead <= 0xDF:
        return 1
    if 0xE0 <= lead <= 0xEF:
        return 2
    if 0xF0 <= lead <= 0xF4:
        return 3
    return 0


@dataclass
class Piece:
    """A character of the decoded line: one misread UTF-8 sequence, or a character
    left as it was."""

    text: str
    start: int  # in the line
    end: int
    decoded: bool = False
    split: bool = False  # a space sat inside the sequence


def parse(line: str, encoding: str) -> list[Piece]:
    """The line read as UTF-8 misread in ``encoding``: each valid sequence (with at most
    one space before each continuation byte) one decoded piece, everything else as is.

    >>> [p.text for p in parse("РєР ° Р »", "sloppy-windows-1251")]
    ['к', 'а', ' ', 'л']
    """
    table = _bytes_of(encoding)
    pieces: list[Piece] = []
    i, n = 0, len(line)
    while i < n:
        lead = table.get(line[i], 0)
        need = _need(lead)
        if need:
            raw = [lead]
            j = i + 1
            split = False
            for _ in range(need):
                if j + 1 < n and line[j] == " " and 0x80 <= table.get(line[j + 1], 0) <= 0xBF:
                    split = True
                    j += 1
                b = table.get(line[j], 0) if j < n else 0
                if not 0x80 <= b <= 0xBF:
                    break
                raw.append(b)
                j += 1
            if len(raw) == need + 1:
                try:
                    ch = bytes(raw).decode("utf-8")
                except UnicodeDecodeError:
                    ch = ""
                if ch:
                    pieces.append(Piece(ch, i, j, True, split))
                    i = j
                    continue
        pieces.append(Piece(line[i], i, i + 1))
        i += 1
    return pieces


def _garbled_form(ch: str, encoding: str, layers: int) -> str:
    for _ in range(layers):
        ch = ch.encode("utf-8").decode(_codec(encoding), errors="replace")
    return ch


def _codec(encoding: str) -> str:
    return "sloppy-windows-1252" if encoding == "latin" else encoding


def _is_text(text: str) -> bool:
    """No control, unassigned, private-use or surrogate character."""
    import unicodedata

    return all(unicodedata.category(c)[0] != "C" for c in text)


@dataclass
class Word:
    """Characters between two certain spaces, with the boundaries inside it that a
    typographic pass may have changed (index i: between chars i-1 and i)."""

    chars: list[str] = field(default_factory=list)
    ambiguous: set[int] = field(default_factory=set)
    spaced: set[int] = field(default_factory=set)  # ambiguous boundaries seen with a space
    gap: str = ""  # the spaces before it, as the line has them


def typographic_pass(line: str) -> bool:
    """Did a typographic pass run over this line? It leaves a space before every °, ·
    and » and after every «; one without is proof it did not, and then no space of
    the line is in doubt.

    >>> typographic_pass("РєР ° РЅР ° Р »РІ"), typographic_pass("РєР °РЅР°Р»")
    (True, False)
    """
    found = False
    for i, ch in enumerate(line):
        if ch in "°·»":
            if i == 0 or line[i - 1] != " ":
                return False
            found = True
        elif ch == "«":
            if i + 1 < len(line) and line[i + 1] != " ":
                return False
            found = True
    return found


def _words(pieces: list[Piece], encoding: str, layers: int, moved: bool = True) -> list[Word]:
    """Group decoded pieces into words at the certain spaces (every space, when no
    typographic pass ``moved`` any)."""
    words = [Word()]
    prev_after = False  # the piece before may have changed the boundary after it
    pending = ""  # the spaces since the last character
    for p in pieces:
        if p.text == " ":
            pending += " "
            continue
        form = _garbled_form(p.text, encoding, layers) if p.decoded and moved else ""
        before = bool(form) and form[0] in TYPOGRAPHIC
        ambiguous = prev_after or before
        w = words[-1]
        if w.chars and ambiguous:
            w.ambiguous.add(len(w.chars))
            if pending:
                w.spaced.add(len(w.chars))
        elif pending:
            if w.chars:
                words.append(Word())
                w = words[-1]
            w.gap = pending
        w.chars.append(p.text)
        pending = ""
        prev_after = bool(form) and form[-1] in TYPOGRAPHIC
    if pending:  # spaces that end the line stay
        words.append(Word(gap=pending))
    return [w for w in words if w.chars or w.gap]


# --- deciding the ambiguous boundaries ----------------------------------------------

# Weights of the word model, fitted on the "tune" half of the UD sentences
# (bench/fit_spacing.py); the figures are reported on the other half.
UNKNOWN_WORD = -2.0  # log10 P(a word is not in the list), before its character model
PER_WORD = -2.0  # log10 cost of one more word: fewer, longer words when equal
UNKNOWN_PER_CHAR = 0.0  # and per letter of an unlisted word, beyond its character model
INNER_CAPITAL = -6.0  # a capital after a small letter inside a word
MIXED_SCRIPTS = -6.0  # letters of two scripts in one word
MAX_WORD_CHARS = 40
# A run with no certain space in this many characters is not prose (a typographic
# pass leaves the spaces between most words alone): its observed spaces stay.
MAX_RUN_CHARS = 1000


@functools.lru_cache(maxsize=1)
def _spacing() -> dict[str, dict[str, list[float]]]:
    """Per language ("*": all), per punctuation character, [P(space after it),
    P(space before it)] when a letter or digit is on the other side (boundaries.json,
    counted on the tune half by bench/fit_spacing.py)."""
    data = resources.files("cleaners").joinpath("data", "boundaries.json").read_text("utf-8")
    return json.loads(data)


def _p_space(lang: str | None, chars: list[str], i: int) -> float | None:
    """P(space) at boundary ``i`` (between ``chars[i - 1]`` and ``chars[i]``) next to
    punctuation or between a letter and a digit; None between letters. Punctuation
    counts as the whole run it belongs to where the language has a figure for the run
    ("года -- в": a doubled hyphen is a dash, spaced; a hyphen alone is not). Between
    two punctuation characters, both must allow it ("»," has none).

    >>> chars = list("года--")
    >>> _p_space("ru", chars, 4) > 0.5 > _p_space("ru", list("из-за"), 2)
    True
    >>> _p_space("ru", list("бассейна133"), 8) > 0.5, _p_space("ru", list("канал"), 2)
    (True, None)
    """
    left, right = chars[i - 1][-1], chars[i][0]
    if left.isalnum() and right.isalnum():
        if left.isalpha() and right.isdigit():
            return _side(lang, "0", 1)
        if left.isdigit() and right.isalpha():
            return _side(lang, "0", 0)
        return None
    if left.isalnum():  # punctuation after the boundary: the run it starts
        return _side(lang, _punct_run(chars, i, 1) or right, 1, fallback=right)
    if right.isalnum():  # punctuation before it: the run it ends
        return _side(lang, _punct_run(chars, i - 1, -1) or left, 0, fallback=left)
    return _side(lang, left, 0) * _side(lang, right, 1)


def _punct_run(chars: list[str], i: int, step: int) -> str:
    """The punctuation characters from ``chars[i]`` on, in the direction of ``step``,
    up to the first letter, digit or space, in reading order."""
    run = []
    while (
        0 <= i < len(chars)
        and len(chars[i]) == 1
        and not (chars[i].isalnum() or chars[i].isspace())
    ):
        run.append(chars[i])
        i += step
    return "".join(run if step > 0 else reversed(run))


def _side(lang: str | None, key: str, side: int, fallback: str | None = None) -> float:
    """P(a space after (side 0) or before (side 1) ``key``, a character or a run, with
    a letter or digit on the other side), in ``lang``, else pooled; a run neither knows
    falls back to its character next to the boundary."""
    table = _spacing()
    for lang_key in (lang or "*", "*"):
        probs = table.get(lang_key, {}).get(key)
        if probs is not None:
            return probs[side]
    if fallback is not None and fallback != key:
        return _side(lang, fallback, side)
    return 0.5


def _word_score(word: str, model: LanguageModel | None, listed: float | None) -> float:
    core = "".join(c for c in word if c.isalpha())
    if not core:
        return PER_WORD
    score = PER_WORD
    if any(a.islower() and b.isupper() for a, b in itertools.pairwise(core)):
        score += INNER_CAPITAL
    if len({script_of(c) for c in core}) > 1:
        score += MIXED_SCRIPTS
    if model is None:
        return score
    if listed is not None:
        return score + listed
    low = core.lower()
    return score + UNKNOWN_WORD + UNKNOWN_PER_CHAR * len(low) + model.log10_chars(low)


def _letter_core(chars: list[str], a: int, b: int) -> str:
    return "".join(chars[a:b])


def decide_spaces(word: Word, model: LanguageModel | None, lang: str | None) -> set[int]:
    """The ambiguous boundaries of ``word`` that get a space: punctuation boundaries by
    the language's spacing, the others by the best split into words (Viterbi)."""
    chars = word.chars
    if len(chars) > MAX_RUN_CHARS:
        return set(word.spaced)  # not text a reader would segment: keep what was seen
    spaces: set[int] = set()
    cuts = []  # letter/digit boundaries: the word model decides
    for i in sorted(word.ambiguous):
        p = _p_space(lang, chars, i)
        if p is None:
            cuts.append(i)
        elif p > 0.5:
            spaces.add(i)
    if not cuts:
        return spaces
    # Segments between certain boundaries (punctuation decisions included) and the cuts.
    bounds = sorted({0, len(chars), *cuts})
    n = len(bounds)
    # Words of at most MAX_WORD_CHARS (a piece between two cuts may be longer): the
    # search stays linear in the length of the run, however hostile the line.
    candidates = []
    for a in range(n - 1):
        b = a + 1
        candidates.append((a, b))
        while b + 1 < n and bounds[b + 1] - bounds[a] <= MAX_WORD_CHARS:
            b += 1
            candidates.append((a, b))
    texts = [_letter_core(chars, bounds[a], bounds[b]) for a, b in candidates]
    listed = (
        model.log10_listed([strip_edges(t, str.isalpha).lower() for t in texts])
        if model
        else [None] * len(texts)
    )
    score = {
        c: _word_score(t, model, lst) for c, t, lst in zip(candidates, texts, listed, strict=True)
    }
    best = [0.0] + [-math.inf] * (n - 1)
    back = [0] * n
    for (a, b), word_score in score.items():  # candidates come sorted by start
        s = best[a] + word_score
        if s > best[b]:
            best[b], back[b] = s, a
    b = n - 1
    while b > 0:
        a = back[b]
        if a > 0:
            spaces.add(bounds[a])
        b = a
    return spaces


def _pieces(word: Word) -> list[str]:
    """The lowercased letter cores of every word a split of ``word`` at its ambiguous
    boundaries can make (the word itself when it has none)."""
    if len(word.chars) > MAX_RUN_CHARS:
        return []  # not prose (see decide_spaces): no vote
    bounds = sorted({0, len(word.chars), *word.ambiguous})
    out = []
    for i, a in enumerate(bounds):
        for b in bounds[i + 1 :]:
            if b - a > MAX_WORD_CHARS:
                break
            out.append(strip_edges("".join(word.chars[a:b]), str.isalpha).lower())
    return out


def _language(words: list[Word]) -> tuple[str | None, LanguageModel | None]:
    """The language of the decoded words: of their script's languages, the one whose
    list has the most of the words any split of the line can make. Counting only the
    words no boundary question hangs over misread Macedonian as Russian one line in
    three: a typographic pass leaves few such words in Cyrillic (every а, з, л is
    ambiguous)."""
    scripts: dict[str, int] = {}
    for w in words:  # the script of the letters that were misread: not ASCII
        # a unit of a word is a character, or a run kept as it was ("ÂŒ"): each letter
        for ch in itertools.chain.from_iterable(w.chars):
            if ch.isalpha() and not ch.isascii():
                s = script_of(ch)
                scripts[s] = scripts.get(s, 0) + 1
    if not scripts:
        return None, None
    script = max(scripts, key=scripts.__getitem__)
    langs = WORD_LANGUAGES.get(script, ())
    if not langs:
        return None, None
    # Words of every split the boundaries allow: those the language's list has vote.
    pieces = [t for w in words for t in _pieces(w) if len(t) > 1 and script_of(t[0]) == script]
    best, best_hits = langs[0], -1
    if len(langs) > 1 and pieces:
        for lang in langs:
            hits = int((listed_words(lang).centibels_of(pieces) <= 0).sum())
            if hits > best_hits:
                best, best_hits = lang, hits
    return best, language_model(best)


def _render(words: list[Word], model: LanguageModel | None, lang: str | None) -> str:
    """The words with the spaces decided inside them; between them, the line's own."""
    out = []
    for w in words:
        spaces = decide_spaces(w, model, lang) if w.ambiguous else set()
        out.append(w.gap)
        out.append("".join((" " if i in spaces else "") + c for i, c in enumerate(w.chars)))
    return "".join(out)


# Doubly garbled text is single-garbled text once decoded: nearly all of its
# non-ASCII characters are then parts of valid sequences again. Real text has a few
# such pairs by accident ("її" in windows-1251 is a valid 3-byte sequence).
SECOND_LAYER_COVER = 0.9
# A garbled line is garbled throughout: most of its non-ASCII letters are parts of
# valid sequences. Clean text has a split-looking sequence by accident ("и її" is one
# in windows-1251), alone.
GARBLED_COVER = 0.8


def _cover(line: str, pieces: list[Piece]) -> float:
    """The share of the line's non-ASCII letters inside decoded pieces (typographic
    punctuation, which clean text has too, does not count); none where every piece is
    a mark, a space and a letter."""

    def letters(text: str) -> int:
        return sum(c.isalpha() and not c.isascii() for c in text)

    decoded = [p for p in pieces if p.decoded]
    if decoded and all(_marked(p, line) for p in decoded):
        return 0.0  # only marks before letters: French and Portuguese typography
    high = letters(line)
    covered = sum(letters(line[p.start : p.end]) for p in decoded)
    return covered / high if high else 1.0


# Punctuation clean text writes between spaces, which MacRoman reads as lead bytes:
# the typographic marks, dashes, quotes, the ellipsis ("holen – Österreich" is
# MacRoman's "– Ö", the bytes of "Ѕ").
SPACED_PUNCTUATION = TYPOGRAPHIC | frozenset("–—“”‘’‚„‹›…")


def _marked(piece: Piece, line: str) -> bool:
    """A sequence read from a mark clean text spaces, a space and a letter: MacRoman
    "» à" is "Ȉ" and "– Ö" is "Ѕ", but clean French and Portuguese write "« oui » à
    Paris" and "Serpente» é", German "holen – Österreich". Such pieces alone are no
    evidence that the line is garbled ("Sco» õia" is "Scoția" in a Romanian line
    where "√ Æn" is "în").

    >>> [_marked(p, line) for line in ("holen – Österreich", "√ Æn")
    ...  for p in parse(line, "macroman") if p.decoded]
    [True, False]
    """
    return piece.split and line[piece.start] in SPACED_PUNCTUATION


def _second_layer(pieces: list[Piece], encoding: str) -> list[Piece] | None:
    """Doubly garbled: the decoded characters decode once more, in the same code page,
    covering nearly all their non-ASCII characters, into text."""
    text = "".join(p.text for p in pieces)
    again = parse(text, encoding)
    high = sum(not c.isascii() for c in text)
    covered = sum(len(p.text.encode("utf-8")) for p in again if p.decoded)
    if not high or covered < SECOND_LAYER_COVER * high or not all(_is_text(p.text) for p in again):
        return None
    return again


def find_spaced_spans(line: str) -> list[tuple[int, int, str, str]]:
    """Spaced mojibake in one line: [(start, end, encoding, replacement)].

    A code page repairs a line only where it is proven garbled in it: a space splits
    one of its valid UTF-8 sequences. Then every valid sequence of the line in that
    code page is decoded (the first code page in order that proves it).

    >>> [r for *_, r in find_spaced_spans("our РєР ° РЅР ° Р »РІ Telegram")]
    ['our канал в Telegram']
    """
    if " " not in line or not may_have_mojibake(line):
        return []
    for encoding in SPACED_ENCODINGS:
        if not (
            _split_re(encoding).search(line)
            or _mark_lead_re(encoding).search(line)
            or _mark_end_re(encoding).search(line)
        ):
            continue  # no space inside a sequence, none next to a mark that ends one
        pieces = parse(line, encoding)
        if not _respaced(line, pieces) or _cover(line, pieces) < GARBLED_COVER:
            continue
        layers = 1
        again = _second_layer(pieces, encoding)  # C1 controls are fine in the first layer
        if again is not None:
            pieces, layers = again, 2
        else:
            pieces = [
                p
                if not p.decoded or _is_text(p.text)
                else Piece(line[p.start : p.end], p.start, p.end)
                for p in pieces
            ]
        words = _words(pieces, encoding, layers, typographic_pass(line))
        lang, model = _language(words)
        text = _render(words, model, lang)
        return [(0, len(line), encoding, text)] if text != line else []
    return []


def fix_spaced_mojibake(text: str) -> str:
    """Repair UTF-8 mojibake whose byte sequences were split by inserted spaces.

    >>> fix_spaced_mojibake("subscribe to our РєР ° РЅР ° Р »РІ Telegram")
    'subscribe to our канал в Telegram'
    >>> fix_spaced_mojibake("caf\\u00c3 \\u00a9 au lait")
    'café au lait'
    >>> fix_spaced_mojibake("«Ёлка» — 25 °C, Ã in a name")
    '«Ёлка» — 25 °C, Ã in a name'
    """
    return fix_lines(text, _fix_spaced_line)


def _fix_spaced_line(line: str) -> str:
    return splice(line, [(start, end, new) for start, end, _, new in find_spaced_spans(line)])
