"""Mojibake repair: ftfy behind a fast path, plus spaced mojibake ftfy cannot see.

ftfy is the engine. Two things are added around it:

* a fast path: a line that contains none of the characters ftfy's encoding fixes
  look for is returned as is, without calling ftfy (ftfy itself fixes text line by
  line, so skipping a line changes nothing);
* spaced mojibake: UTF-8 read as a single-byte code page and then "typographically"
  re-spaced, so that the byte pairs of one character are split by spaces and the real
  word spaces moved (``РєР ° РЅР ° Р »РІ`` for ``канал в``). ftfy cannot decode it; we
  join the split sequences, decode them, and put the word boundaries back with word
  frequencies from ``wordfreq`` (which ships its data).
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import ftfy
import ftfy.bad_codecs
from ftfy.chardata import CHARMAP_ENCODINGS

# Only ftfy's encoding repair runs in this step; everything else ftfy can do is either
# a separate textwash step (quotes, line breaks, control characters, NFC) or would
# change legitimate text (full-width CJK, ligatures), so it is off here.
FTFY_CONFIG = ftfy.TextFixerConfig(
    # "auto" makes ftfy's behaviour depend on earlier lines (it switches off at the
    # first "<"); entities are handled by normalize.fix_html_entities instead.
    unescape_html=False,
    remove_terminal_escapes=True,
    fix_encoding=True,
    restore_byte_a0=True,
    replace_lossy_sequences=True,
    decode_inconsistent_utf8=True,
    fix_c1_controls=True,
    # Not mojibake: ligatures and full-width forms are legitimate characters.
    fix_latin_ligatures=False,
    fix_character_width=False,
    # textwash normalizes quotes, line breaks and control characters in its own steps.
    uncurl_quotes=False,
    fix_line_breaks=False,
    fix_surrogates=True,
    remove_control_chars=False,
    # NFC is applied once, in normalize; here it would change clean NFD text.
    normalization=None,
    explain=False,
)


def _byte_chars(encoding: str, first: int, last: int) -> str:
    if encoding == "latin":  # windows-1252 and latin-1 together, as browsers mix them
        return _byte_chars("latin-1", first, last) + _byte_chars("sloppy-windows-1252", first, last)
    return bytes(range(first, last + 1)).decode(encoding, errors="ignore")


_LATIN_BYTES = {c: b for b in range(256) for c in bytes([b]).decode("sloppy-windows-1252")}


def _encode(chars: str, encoding: str) -> bytes:
    """``chars.encode(encoding)``; "latin" takes a character from latin-1 or windows-1252."""
    if encoding != "latin":
        return chars.encode(encoding)
    try:
        return bytes(ord(c) if ord(c) < 0x100 else _LATIN_BYTES[c] for c in chars)
    except KeyError as exc:
        raise UnicodeEncodeError("latin", chars, 0, len(chars), "not latin") from exc


def _fast_path_re() -> re.Pattern[str]:
    """Characters without which ftfy (under FTFY_CONFIG) provably changes nothing.

    UTF-8 mojibake in a single-byte code page is a lead byte (0xC0-0xF7) immediately
    followed by a continuation byte (0x80-0xBF), both decoded in that one code page;
    ftfy's looser repairs accept a space (a lost NBSP, ``restore_byte_a0``, never for
    MacRoman) or "?" (``replace_lossy_sequences``) in place of a continuation. Its
    remaining repairs look for C1 controls, U+FFFD, 0x1A, ESC or surrogates. latin-1
    and windows-1252 count as one code page, as in ftfy's ``decode_inconsistent_utf8``.
    The test may send a clean line to ftfy, never the reverse.

    The pattern starts with one character class (every possible first character) so
    the regex engine skips ahead at C speed; lookbehinds then tell which code page
    the first character belongs to.
    """

    def cls(chars: set[str]) -> str:
        return "[" + "".join(re.escape(c) for c in sorted(chars)) + "]"

    groups: dict[str, list[str]] = {}
    for enc in CHARMAP_ENCODINGS:
        key = "latin" if enc in ("latin-1", "sloppy-windows-1252") else enc
        groups.setdefault(key, []).append(enc)
    specials = {chr(c) for c in range(0x80, 0xA0)} | {"\x1a", "\x1b", "\ufffd"}
    specials |= {chr(c) for c in range(0xD800, 0xE000)}
    first = set(specials)
    branches = [f"(?<={cls(specials)})"]
    for key, encodings in groups.items():
        leads: set[str] = set()
        conts: set[str] = set()
        a0_leads: set[str] = set()  # ALTERED_UTF8_RE: these lead bytes before a space
        lossy_leads: set[str] = set()  # LOSSY_UTF8_RE: these lead bytes before "?"
        for enc in encodings:
            leads.update(_byte_chars(enc, 0xC0, 0xF7))
            conts.update(_byte_chars(enc, 0x80, 0xBF))
            if key != "macroman":
                a0_leads.update(bytes([0xC2, 0xC3, 0xC5, 0xCE, 0xD0, 0xD9]).decode(enc))
            lossy_leads.update(bytes([0xC2, 0xC3]).decode(enc))
        first |= leads
        branches.append(f"(?<={cls(leads)})[ ?]?{cls(conts)}")
        if a0_leads:
            branches.append(f"(?<={cls(a0_leads)}) ")
        branches.append(f"(?<={cls(lossy_leads)})\\?")
    return re.compile(f"{cls(first)}(?:{'|'.join(branches)})")


MOJIBAKE_TRIGGER_RE = _fast_path_re()


def may_have_mojibake(line: str) -> bool:
    """True when ftfy could change ``line``; False means it provably will not.

    >>> may_have_mojibake("plain ASCII and ünïcödé 東京 Москва")
    False
    >>> may_have_mojibake("donâ€™t")
    True
    """
    if line.isascii() and "\x1a" not in line and "\x1b" not in line:
        return False
    return MOJIBAKE_TRIGGER_RE.search(line) is not None


def fix_encoding_mojibake(text: str) -> str:
    """ftfy's encoding repair under FTFY_CONFIG, skipping lines that cannot change.

    >>> fix_encoding_mojibake("donâ€™t stop")
    'don’t stop'
    >>> fix_encoding_mojibake("РєР°РЅР°Р» РІ Telegram")
    'канал в Telegram'
    """
    return _fix_lines(text, lambda line: ftfy.fix_text(line, FTFY_CONFIG))


def _fix_lines(text: str, fix_line: Callable[[str], str]) -> str:
    """Apply ``fix_line`` to the lines that may hold mojibake, leave the rest alone."""
    if not may_have_mojibake(text):
        return text
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if may_have_mojibake(line):
            lines[i] = fix_line(line)
    return "\n".join(lines)


# --- spaced mojibake -------------------------------------------------------------
#
# A "typographic" pass over mojibake puts spaces around the characters it takes for
# punctuation (°, ·, «, ») and moves the space after » to before it. When such a
# character is a continuation byte, the inserted space splits one character's bytes:
# UTF-8 can no longer be decoded, and ftfy leaves the line alone. We decode the span
# with those spaces removed and re-infer word boundaries where they were ambiguous.

# UTF-8 read as one of these, and then re-spaced.
# Order matters: a region that reads as mojibake in an earlier code page is not
# reinterpreted in a later one (windows-1252 first: by far the most common misreading).
SPACED_ENCODINGS = ("latin", "sloppy-windows-1251", "macroman")
# Characters a typographic pass puts spaces around: a space next to one of them may
# be inserted, not real.
TYPOGRAPHIC = frozenset("°·«»")
CLOSING_PUNCTUATION = frozenset(".,;:!?)")

# Languages whose word frequencies restore word boundaries, per script of the
# decoded run. Only scripts that are written with spaces between words.
SEGMENT_LANGUAGES = {
    "CYRILLIC": ("ru", "uk", "bg"),
    "GREEK": ("el",),
    "LATIN": ("en", "fr", "de", "es", "pt", "it"),
}


def _utf8_char(encoding: str, gap: str) -> str:
    """Pattern of one character's UTF-8 bytes read in ``encoding``, with ``gap`` (a
    pattern: "" or " ?") allowed before each continuation byte."""

    def cls(first: int, last: int) -> str:
        # NBSP stays: it is byte 0xA0, a continuation (Р\xa0 is "Р" read twice).
        chars = "".join(sorted(set(_byte_chars(encoding, first, last)) - {" "}))
        return "[" + "".join(re.escape(c) for c in chars) + "]"

    cont, lead2, lead3, lead4 = cls(0x80, 0xBF), cls(0xC2, 0xDF), cls(0xE0, 0xEF), cls(0xF0, 0xF4)
    c = gap + cont
    return f"(?:{lead2}{c}|{lead3}{c}{c}|{lead4}{c}{c}{c})"


@functools.lru_cache(maxsize=len(SPACED_ENCODINGS))
def _spaced_res(encoding: str) -> tuple[re.Pattern[str], re.Pattern[str], frozenset[str]]:
    # One character's bytes, each continuation byte optionally preceded by one
    # inserted space; a span is characters optionally separated by one space.
    char = _utf8_char(encoding, " ?")
    mojibake_chars = frozenset(_byte_chars(encoding, 0x80, 0xFF))
    return re.compile(char), re.compile(f"{char}(?: ?{char})*"), mojibake_chars


def _script(ch: str) -> str:
    return unicodedata.name(ch, "").split(" ", 1)[0]


@functools.lru_cache(maxsize=16)
def _freqs(lang: str) -> dict[str, float]:
    import wordfreq  # deferred: a list loads in ~0.3-0.7 s, needed only on damaged text

    return wordfreq.get_frequency_dict(lang, "best")


# An unknown word scores like a word rarer than any listed (wordfreq lists down to
# ~1e-8), less for each letter, so a long unknown word is not cut into common pieces
# unless the pieces explain it much better.
_UNKNOWN_WORD = -8.0
_PER_CHAR_UNKNOWN = -0.5
_PER_WORD = -1.0  # prefer fewer, longer words when the evidence is equal


def segment_words(run: str, lang: str) -> tuple[list[str], float]:
    """Split a run of letters into its most probable words (Viterbi over word frequencies).

    >>> segment_words("каналв", "ru")[0]
    ['канал', 'в']
    """
    freqs = _freqs(lang)
    low = run.lower()
    n = len(run)
    best = [0.0] + [-math.inf] * n
    back = [0] * (n + 1)
    for end in range(1, n + 1):
        for start in range(max(0, end - 30), end):
            word = low[start:end]
            freq = freqs.get(word)
            score = math.log10(freq) if freq else _UNKNOWN_WORD + _PER_CHAR_UNKNOWN * len(word)
            total = best[start] + score + _PER_WORD
            if total > best[end]:
                best[end], back[end] = total, start
    words = []
    end = n
    while end > 0:
        words.append(run[back[end] : end])
        end = back[end]
    return words[::-1], best[n]


def _split_edges(word: str) -> tuple[str, str, str]:
    """(leading punctuation, letters, trailing punctuation) of a decoded word."""
    start, end = 0, len(word)
    while start < end and not word[start].isalpha():
        start += 1
    while end > start and not word[end - 1].isalpha():
        end -= 1
    return word[:start], word[start:end], word[end:]


def restore_word_boundaries(words: list[str], moved: list[bool] | None = None) -> str:
    """Re-insert the spaces a typographic pass moved or dropped inside decoded words.

    All words of a span are segmented in the one language that explains them best
    (by word frequencies of the languages of their script); a script without listed
    languages (CJK, Thai...) is left unsegmented.

    >>> restore_word_boundaries(["каналв"])
    'канал в'
    >>> restore_word_boundaries(["відчуваю", "вартокожен"])
    'відчуваю варто кожен'
    >>> restore_word_boundaries(["Noël"])
    'Noël'
    """
    moved = moved if moved is not None else [True] * len(words)
    parts = [_split_edges(w) if m else ("", "", "") for w, m in zip(words, moved, strict=True)]
    scripts = {_script(c) for _, core, _ in parts for c in core}
    langs = SEGMENT_LANGUAGES.get(scripts.pop()) if len(scripts) == 1 else None
    if not langs:
        return " ".join(words)
    best: tuple[float, list[list[str]]] | None = None
    for lang in langs:
        segs = [segment_words(core, lang) if core else ([], 0.0) for _, core, _ in parts]
        total = sum(score for _, score in segs)
        if best is None or total > best[0]:
            best = (total, [ws for ws, _ in segs])
    assert best is not None
    return " ".join(
        pre + " ".join(ws) + post if m else w
        for w, m, (pre, _, post), ws in zip(words, moved, parts, best[1], strict=True)
    )


def _plausible(text: str) -> bool:
    """Letters and marks of one script, maybe with punctuation at the edges («слово»,);
    or punctuation and symbols alone (« € —), which the caller checks are glued to words."""
    _, core, _ = _split_edges(text)
    if not core:
        return bool(text) and all(unicodedata.category(c)[0] in "PS" for c in text)
    if not all(unicodedata.category(c)[0] in "LM" for c in core):
        return False
    return len({_script(c) for c in core if c.isalpha()}) == 1


def _decode_utf8(chars: str, encoding: str) -> str | None:
    """The text whose UTF-8 bytes ``chars`` are in ``encoding`` (one or two layers)."""
    try:
        decoded = _encode(chars, encoding).decode("utf-8")
    except UnicodeError:
        return None
    # Double-garbled first: a second valid UTF-8 reading is no accident, while the
    # first reading of doubly garbled text can pass for a word with punctuation.
    for inner in SPACED_ENCODINGS:
        try:
            twice = _encode(decoded, inner).decode("utf-8")
        except UnicodeError:
            continue
        if twice != decoded and _plausible(twice):
            return twice
    return decoded if _plausible(decoded) else None


@dataclass(frozen=True)
class _Span:
    left: int  # start of the letters glued before it
    start: int
    end: int
    right: int  # end of what is glued after it
    words: list[str]  # decoded, without the glue
    # Per word: did the typographic pass move a space in it (so boundaries are unknown)?
    moved: list[bool]
    blocked_left: bool = False  # the glue stopped at more mojibake of this code page
    blocked_right: bool = False


_DEFER = _Span(0, 0, 0, 0, [], [])  # a span this code page explains; ftfy is to fix it


def _join_spans(line: str, spans: list[_Span]) -> list[tuple[int, int, list[str], list[bool]]]:
    """Merge spans whose glued letters overlap (d√©clar√© is one word, two spans); drop
    a span whose glue ran into mojibake that no neighbouring span explains."""
    merged: list[list] = []
    prev: _Span | None = None
    for span in spans:
        if prev is not None and span.left < prev.right:
            group = merged[-1]
            group[2][-1] += line[prev.end : span.start] + span.words[0]
            group[3][-1] = group[3][-1] or span.moved[0]
            group[2].extend(span.words[1:])
            group[3].extend(span.moved[1:])
            group[1] = span.right
            group[5] = span.blocked_right
        else:
            if prev is not None:
                merged[-1][2][-1] += line[prev.end : prev.right].replace(" ", "")
            words = list(span.words)
            words[0] = line[span.left : span.start] + words[0]
            merged.append(
                [
                    span.left,
                    span.right,
                    words,
                    list(span.moved),
                    span.blocked_left,
                    span.blocked_right,
                ]
            )
        prev = span
    if prev is not None:
        merged[-1][2][-1] += line[prev.end : prev.right].replace(" ", "")
    return [(g[0], g[1], g[2], g[3]) for g in merged if not (g[4] or g[5])]


def _decode_span(text: str, start: int, end: int, encoding: str) -> _Span | None:
    """Decode one span and find the letters glued to it; _DEFER, or None if it is not
    mojibake in this code page."""
    char_re, _, mojibake_chars = _spaced_res(encoding)
    span = text[start:end]
    chars = list(char_re.finditer(span))
    for m in chars:
        if " " in m.group() and encoding != "macroman":
            try:  # a space that was byte 0xA0 (NBSP): ftfy's restore_byte_a0 owns it
                _encode(m.group().replace(" ", "\xa0"), encoding).decode("utf-8")
                return _DEFER
            except UnicodeError:
                pass
    # Group characters into words: a space between two characters is a real word
    # boundary unless it touches a typographic character. A word where such a space
    # was dropped, or with a » (whose following space the pass removes), has lost
    # its real boundaries.
    words: list[list[str]] = [[]]
    moved = [False]
    for prev, m in zip([None, *chars], chars, strict=False):
        if prev is not None and prev.end() < m.start():
            if prev.group()[-1] in TYPOGRAPHIC or m.group()[0] in TYPOGRAPHIC:
                moved[-1] = True
            else:
                words.append([])
                moved.append(False)
        words[-1].append(m.group().replace(" ", ""))
        moved[-1] = moved[-1] or "»" in m.group()
    decoded_words = [_decode_utf8("".join(w), encoding) for w in words]
    out = [d for d in decoded_words if d is not None]
    if len(out) < len(decoded_words):
        return None
    # Letters glued to the span belong to its first and last words (cafÃ ©s -> cafés);
    # so does what follows a space the typographic pass put after the span: a word of
    # the same script, or closing punctuation.
    left = start
    while left > 0 and text[left - 1].isalpha() and text[left - 1] not in mojibake_chars:
        left -= 1
    blocked_left = left > 0 and text[left - 1] in mojibake_chars
    right = end
    after = text[right + 1 : right + 2]
    if span[-1] in TYPOGRAPHIC and text[right : right + 1] == " " and after:
        last_core = _split_edges(out[-1])[1]
        # After a lone « or °, any word; after letters, a word of their script.
        same_script = after.isalpha() and (
            not last_core or _script(after) == _script(last_core[-1])
        )
        if same_script or after in CLOSING_PUNCTUATION:
            right += 1
            moved[-1] = moved[-1] or bool(same_script)
    while (
        right < len(text)
        and (text[right].isalpha() or text[right] in CLOSING_PUNCTUATION)
        and text[right] not in mojibake_chars
    ):
        right += 1
    blocked_right = right < len(text) and text[right] in mojibake_chars
    if (
        left == start
        and right == end
        and (sum(map(len, out)) < 2 or not any(c.isalpha() for w in out for c in w))
    ):
        return None  # a lone letter or symbols, glued to nothing: too little evidence
    glued = text[left:start] + "".join(out) + text[end:right]
    if len({_script(c) for c in glued if c.isalpha()}) > 1:
        return None  # glued to letters of another script: not one word
    return _Span(left, start, end, right, out, moved, blocked_left, blocked_right)


def find_spaced_spans(line: str) -> list[tuple[int, int, str, str]]:
    """Spans of spaced mojibake in one line: (start, end, encoding, replacement).

    Each code page, in order, claims the spans that decode under it; later code pages
    do not reinterpret claimed characters. Only a code page with at least one split
    span repairs anything: then the line is proven garbled in it, and its unsplit
    spans are repaired too (ftfy may judge such a mixed line too risky to touch).
    """
    if not may_have_mojibake(line):
        return []
    found: list[tuple[int, int, str, str]] = []
    taken: list[tuple[int, int]] = []  # regions an earlier code page explains
    for encoding in SPACED_ENCODINGS:
        char_re, span_re, _ = _spaced_res(encoding)
        decoded = []
        split = False
        for match in span_re.finditer(line):
            start, end = match.span()
            if any(start < b and a < end for a, b in taken):
                continue  # an earlier code page already reads these characters
            result = _decode_span(line, start, end, encoding)
            if result is None:
                continue
            taken.append((start, end))
            if result is _DEFER:
                continue
            decoded.append(result)
            split = split or any(" " in m.group() for m in char_re.finditer(match.group()))
        if split:
            found += [
                (a, b, encoding, restore_word_boundaries(ws, moved))
                for a, b, ws, moved in _join_spans(line, decoded)
            ]
    found.sort()
    return found


def fix_spaced_mojibake(text: str) -> str:
    """Repair UTF-8 mojibake whose byte sequences were split by inserted spaces.

    A span qualifies only if a space really splits one character's bytes (so ftfy
    could not decode it), the joined bytes are valid UTF-8 (once or twice over), and
    the result is letters of one script. Word spaces next to typographic characters
    are then re-inferred from word frequencies.

    >>> fix_spaced_mojibake("subscribe to our РєР ° РЅР ° Р »РІ Telegram")
    'subscribe to our канал в Telegram'
    >>> fix_spaced_mojibake("caf\u00c3 \u00a9 au lait")
    'café au lait'
    >>> fix_spaced_mojibake("«Ёлка» — 25 °C, Ã in a name")
    '«Ёлка» — 25 °C, Ã in a name'
    """
    return _fix_lines(text, _fix_spaced_line)


def _fix_spaced_line(line: str) -> str:
    return _splice(line, [(start, end, new) for start, end, _, new in find_spaced_spans(line)])


def _splice(line: str, found: list[tuple[int, int, str]]) -> str:
    """``line`` with each (start, end, replacement) of ``found`` (in order) put in."""
    pieces, pos = [], 0
    for start, end, replacement in found:
        pieces += [line[pos:start], replacement]
        pos = end
    pieces.append(line[pos:])
    return "".join(pieces)


# --- single words ftfy declines ---------------------------------------------------
#
# ftfy wants more evidence than one garbled letter: "erkl√§ren" (German "erklären"
# read as MacRoman) or "sÄ…" (Polish "są" read as windows-1252) are left alone, since
# a pair like "√§" can occur in real text. A word supplies the evidence instead: a
# token is repaired only when the whole token decodes (once or twice over) to a word
# listed in wordfreq for a language of its script, while the token itself is not one.

# wordfreq "small" lists (words of frequency >= 1e-6, about 30,000 per language):
# loaded on the first candidate, never for clean text.
WORD_LANGUAGES = {
    "LATIN": (
        "en",
        "fr",
        "de",
        "es",
        "pt",
        "it",
        "nl",
        "pl",
        "tr",
        "sv",
        "da",
        "nb",
        "fi",
        "cs",
        "sk",
        "hu",
        "ro",
        "sh",
        "sl",
        "lt",
        "lv",
        "ca",
        "vi",
    ),
    "CYRILLIC": ("ru", "uk", "bg", "mk", "sh"),
    "GREEK": ("el",),
}
_TOKEN_RE = re.compile(r"\S+")


@functools.lru_cache(maxsize=64)
def _small_words(lang: str) -> frozenset[str]:
    import wordfreq

    try:
        return frozenset(wordfreq.get_frequency_dict(lang, "small"))
    except LookupError:  # a language this wordfreq does not ship
        return frozenset()


def is_listed_word(text: str) -> bool:
    """``text`` is a listed word of a language of its script: two letters or more,
    with nothing but punctuation at its edges.

    >>> is_listed_word("erklären,"), is_listed_word("erkl√§ren"), is_listed_word("«канал»")
    (True, False, True)
    """
    pre, core, post = _split_edges(text)
    if len(core) < 2 or not all(c.isalpha() for c in core):
        return False  # a letter alone is no evidence; a symbol is no letter
    if any(unicodedata.category(c)[0] != "P" for c in pre + post):
        return False
    scripts = {_script(c) for c in core}
    if len(scripts) != 1:
        return False
    low = core.lower()
    return any(low in _small_words(lang) for lang in WORD_LANGUAGES.get(scripts.pop(), ()))


def _repair_word(token: str) -> str | None:
    """The listed word ``token`` is garbled from, if only one code page explains it.

    As ftfy does, a token that reads as text from two code pages is left alone:
    "DrÃ¥ber" is "Dråber" from latin-1 but "Dr̴ber" from MacRoman.

    >>> _repair_word("erkl√§ren,"), _repair_word("DrÃ¥ber")
    ('erklären,', None)
    """
    found = _word_reading(token)
    return found[0] if found else None


def _word_reading(token: str) -> tuple[str, str] | None:
    """(listed word, code page) that ``_repair_word`` decodes ``token`` to."""
    readings = {}
    for encoding in SPACED_ENCODINGS:
        if any(c in _spaced_res(encoding)[2] for c in token):
            decoded = _decode_utf8(token, encoding)
            if decoded and decoded != token:
                readings[decoded] = encoding
    if len(readings) != 1 or is_listed_word(token):
        return None
    ((decoded, encoding),) = readings.items()
    return (decoded, encoding) if is_listed_word(decoded) else None


def codecs_of_garbled_words(line: str) -> frozenset[str]:
    """The code pages the garbled words of ``line`` are decoded from.

    >>> sorted(codecs_of_garbled_words("Wir erkl√§ren es"))
    ['macroman']
    """
    found = (_word_reading(m.group()) for m in _TOKEN_RE.finditer(line) if not m.group().isascii())
    return frozenset(r[1] for r in found if r)


def find_garbled_words(line: str) -> list[tuple[int, int, str]]:
    """(start, end, repair) of each whitespace-separated token that is a listed word
    garbled whole, where the token is not itself a word.

    >>> find_garbled_words("Wir erkl√§ren es")
    [(4, 13, 'erklären')]
    >>> find_garbled_words("Café, Ã in a name, 25 °C, ∆°")
    []
    """
    found = []
    for m in _TOKEN_RE.finditer(line):
        token = m.group()
        if not token.isascii() and (repaired := _repair_word(token)):
            found.append((m.start(), m.end(), repaired))
    return found


def fix_garbled_words(text: str) -> str:
    """Repair single garbled words that ftfy leaves alone for want of evidence.

    >>> fix_garbled_words("Wir erkl√§ren es")
    'Wir erklären es'
    >>> fix_garbled_words("al pi√π presto")
    'al più presto'
    """
    return _fix_lines(text, _fix_garbled_words_line)


def _fix_garbled_words_line(line: str) -> str:
    return _splice(line, find_garbled_words(line))


# --- layers ftfy leaves behind ----------------------------------------------------
#
# Doubly garbled text loses one layer in ftfy and may keep the other where what is
# left looks reasonable on its own: "√°" (á), "–∫" (Cyrillic к), "≈´" (ū). Two kinds
# of evidence make the repair safe, and both are about the whole run, not a word list:
# * the line is known to be garbled in this code page: ftfy, or the repair of a whole
#   garbled word, has just decoded part of it from there;
# * the run decodes through two valid UTF-8 layers ("‚àö√¢" -> "√â" -> "É"), which
#   clean text does not do by accident.

# ftfy's names for the code pages SPACED_ENCODINGS covers.
_FTFY_CODECS = {
    "latin-1": "latin",
    "sloppy-windows-1252": "latin",
    "windows-1252": "latin",
    "sloppy-windows-1251": "sloppy-windows-1251",
    "windows-1251": "sloppy-windows-1251",
    "macroman": "macroman",
}


def codecs_ftfy_decoded(line: str) -> frozenset[str]:
    """The code pages (SPACED_ENCODINGS names) ftfy decodes ``line`` from.

    >>> sorted(codecs_ftfy_decoded("‚Äì√º‚Äì√¶ test"))
    ['macroman']
    >>> codecs_ftfy_decoded("clean text")
    frozenset()
    """
    steps = ftfy.fix_encoding_and_explain(line, config=FTFY_CONFIG).explanation or []
    found = {_FTFY_CODECS[arg] for op, arg in steps if op == "encode" and arg in _FTFY_CODECS}
    if ("apply", "decode_inconsistent_utf8") in steps:
        found.add("latin")
    return frozenset(found)


@functools.lru_cache(maxsize=8)
def _run_re(encoding: str) -> re.Pattern[str]:
    """Runs of whole UTF-8 sequences read in ``encoding`` (no inserted spaces)."""
    return re.compile(f"(?:{_utf8_char(encoding, '')})+")


def _layers(chars: str, encoding: str) -> list[str]:
    """``chars`` decoded once and twice from UTF-8 read in ``encoding``, while valid."""
    out: list[str] = []
    for _ in range(2):
        try:
            chars = _encode(chars, encoding).decode("utf-8")
        except UnicodeError:
            break
        out.append(chars)
    return out


def _clean_run(text: str) -> bool:
    """Letters and marks of one script with punctuation (not symbols) at the edges, or
    punctuation alone; hyphens may join words ("Инди-курс").

    >>> _clean_run("«Инди-курс»,"), _clean_run("–∫"), _clean_run("√°")
    (True, False, False)
    """
    pre, core, post = _split_edges(text)
    if any(unicodedata.category(c)[0] != "P" for c in pre + post):
        return False
    return _plausible(pre + core.replace("-", "") + post)


def _decode_runs(token: str, encoding: str, layer: int) -> str:
    """``token`` with every run of mojibake in ``encoding`` decoded ``layer`` times over
    (a run that does not decode that far stays)."""

    def decode(m: re.Match[str]) -> str:
        layers = _layers(m.group(), encoding)
        return layers[layer - 1] if len(layers) >= layer else m.group()

    return _run_re(encoding).sub(decode, token)


def _repair_residual_token(token: str, decoded_from: frozenset[str]) -> str | None:
    if token.isascii() or _clean_run(token):
        return None  # a token that reads as text is left alone: "«électeurs", "‘ß’"
    for encoding in SPACED_ENCODINGS:
        if not any(c in _spaced_res(encoding)[2] for c in token):
            continue
        once = _decode_runs(token, encoding, 1)
        if once == token:
            continue
        if encoding in decoded_from and _clean_run(once):
            return once  # one more layer where the line is known to be garbled
        twice = _decode_runs(token, encoding, 2)
        if twice != once and _clean_run(twice) and not _clean_run(once):
            return twice  # two valid layers, and only the second reads as text
    return None


def find_residual_layers(
    line: str, decoded_from: frozenset[str] = frozenset()
) -> list[tuple[int, int, str]]:
    """(start, end, repair) of tokens that do not read as text until mojibake runs in
    them are decoded: one layer in a code page of ``decoded_from`` (the line is known
    to be garbled there), or two layers in any, where one layer does not read as text
    either. Reading as text: letters of one script, punctuation at the edges.

    >>> find_residual_layers("colega √° china", frozenset({"macroman"}))
    [(7, 9, 'á')]
    >>> find_residual_layers("look at HOMM‚àö√¢S")
    [(8, 18, 'HOMMÉS')]
    >>> find_residual_layers("The symbol √§ in a formula")
    []
    >>> find_residual_layers("«électeurs» ‘ß’", frozenset({"macroman"}))
    []
    """
    found = []
    for m in _TOKEN_RE.finditer(line):
        if (repaired := _repair_residual_token(m.group(), decoded_from)) is not None:
            found.append((m.start(), m.end(), repaired))
    return found


def fix_residual_layers(line: str, decoded_from: frozenset[str] = frozenset()) -> str:
    """Decode what find_residual_layers finds.

    >>> fix_residual_layers("Подготовка –∫ ЕГЭ", frozenset({"macroman"}))
    'Подготовка к ЕГЭ'
    """
    return _splice(line, find_residual_layers(line, decoded_from))


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
    """Like fix_mojibake, and name the repairs that changed something. With
    ``words=False`` single garbled words and layers ftfy leaves behind are left alone,
    as ftfy leaves them.

    The spaced repair runs first: ftfy's partial decoding of a split span would
    destroy the evidence. Text without a split span goes to ftfy unchanged.
    """
    if not may_have_mojibake(text):
        return text, []  # every step below skips such text: one scan instead of four
    fixes: list[str] = []
    # line number -> code pages ftfy or the word repair decoded part of that line from
    evidence: dict[int, frozenset[str]] = {}
    for _ in range(3):  # double-garbled text may need a second round
        before = text
        fixed = fix_spaced_mojibake(text)
        if fixed != text and "fix_spaced_mojibake" not in fixes:
            fixes.append("fix_spaced_mojibake")
        text = fixed
        fixed = fix_encoding_mojibake(text)
        if fixed != text:
            if "fix_mojibake" not in fixes:
                fixes.append("fix_mojibake")
            if words:
                _note_codecs(text, fixed, evidence, codecs_ftfy_decoded)
        text = fixed
        fixed = fix_garbled_words(text) if words else text
        if fixed != text:
            if "fix_garbled_words" not in fixes:
                fixes.append("fix_garbled_words")
            _note_codecs(text, fixed, evidence, codecs_of_garbled_words)
        text = fixed
        fixed = _fix_residual(text, evidence) if words else text
        if fixed != text and "fix_residual_layers" not in fixes:
            fixes.append("fix_residual_layers")
        text = fixed
        if text == before:
            break
    return text, fixes


def _note_codecs(
    old: str,
    new: str,
    evidence: dict[int, frozenset[str]],
    codecs_of: Callable[[str], frozenset[str]],
) -> None:
    """Record, per line a step changed, the code pages it decoded that line from."""
    old_lines, new_lines = old.split("\n"), new.split("\n")
    if len(old_lines) != len(new_lines):
        return  # lines no longer align: no evidence taken
    for i, (a, b) in enumerate(zip(old_lines, new_lines, strict=True)):
        if a != b:
            evidence[i] = evidence.get(i, frozenset()) | codecs_of(a)


def _fix_residual(text: str, evidence: dict[int, frozenset[str]]) -> str:
    if not may_have_mojibake(text):
        return text  # a residual run is itself a UTF-8 sequence misread: the trigger sees it
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if may_have_mojibake(line):
            lines[i] = fix_residual_layers(line, evidence.get(i, frozenset()))
    return "\n".join(lines)
