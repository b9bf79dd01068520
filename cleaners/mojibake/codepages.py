"""Code pages UTF-8 is misread as: their byte tables, the pattern of a misread UTF-8
character, the fast path, and what a decoded run must look like to be text."""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from collections.abc import Callable

import ftfy.bad_codecs  # noqa: F401  (registers the sloppy-windows-* codecs)
from ftfy.chardata import CHARMAP_ENCODINGS


def byte_chars(encoding: str, first: int, last: int) -> str:
    """The characters bytes ``first``-``last`` read as in ``encoding`` ("latin": in
    latin-1 and windows-1252 both)."""
    if encoding == "latin":  # windows-1252 and latin-1 together, as browsers mix them
        return byte_chars("latin-1", first, last) + byte_chars("sloppy-windows-1252", first, last)
    return bytes(range(first, last + 1)).decode(encoding, errors="ignore")


_LATIN_BYTES = {c: b for b in range(256) for c in bytes([b]).decode("sloppy-windows-1252")}


def encode_misread(chars: str, encoding: str) -> bytes:
    """``chars.encode(encoding)``; "latin" takes a character from latin-1 or windows-1252."""
    if encoding != "latin":
        return chars.encode(encoding)
    try:
        return bytes(ord(c) if ord(c) < 0x100 else _LATIN_BYTES[c] for c in chars)
    except KeyError as exc:
        raise UnicodeEncodeError("latin", chars, 0, len(chars), "not latin") from exc


# The lead bytes ftfy's ``restore_byte_a0`` (ALTERED_UTF8_RE) accepts before a space
# that was a 0xA0 continuation byte.
A0_LEADS = bytes([0xC2, 0xC3, 0xC5, 0xCE, 0xD0, 0xD9])


def _fast_path_res() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """Patterns of the characters without which ftfy (under FTFY_CONFIG) provably
    changes nothing.

    UTF-8 mojibake in a single-byte code page is a lead byte (0xC0-0xF7) immediately
    followed by a continuation byte (0x80-0xBF), both decoded in that one code page;
    ftfy's looser repairs accept a space (a lost NBSP, ``restore_byte_a0``, never for
    MacRoman) or "?" (``replace_lossy_sequences``) in place of a continuation. Its
    remaining repairs look for C1 controls, U+FFFD, 0x1A, ESC or surrogates. latin-1
    and windows-1252 count as one code page, as in ftfy's ``decode_inconsistent_utf8``.
    The test may send a clean line to ftfy, never the reverse.

    Returns (the span of each such sequence, from its lead; the same test anchored on
    the continuation byte; the lead before a space or "?"). The first gives spans; the
    other two together answer "is there one?" several times faster on Cyrillic and
    Greek text, where nearly every letter is a lead byte in some code page but few
    are continuation bytes. Each starts with one character class (every possible
    first character) so the regex engine skips ahead at C speed; lookbehinds then
    tell which code page the characters belong to.
    """

    def cls(chars: set[str]) -> str:
        return "[" + "".join(re.escape(c) for c in sorted(chars)) + "]"

    groups: dict[str, list[str]] = {}
    for enc in CHARMAP_ENCODINGS:
        key = "latin" if enc in ("latin-1", "sloppy-windows-1252") else enc
        groups.setdefault(key, []).append(enc)
    specials = {chr(c) for c in range(0x80, 0xA0)} | {"\x1a", "\x1b", "\ufffd"}
    specials |= {chr(c) for c in range(0xD800, 0xE000)}
    span_first, cont_first, loose_first = set(specials), set(specials), set()
    spans = [f"(?<={cls(specials)})"]
    conts_after = [f"(?<={cls(specials)})"]
    loose = []
    for key, encodings in groups.items():
        leads: set[str] = set()
        conts: set[str] = set()
        a0_leads: set[str] = set()  # ALTERED_UTF8_RE: these lead bytes before a space
        lossy_leads: set[str] = set()  # LOSSY_UTF8_RE: these lead bytes before "?"
        for enc in encodings:
            leads.update(byte_chars(enc, 0xC0, 0xF7))
            conts.update(byte_chars(enc, 0x80, 0xBF))
            if key != "macroman":
                a0_leads.update(A0_LEADS.decode(enc))
            lossy_leads.update(bytes([0xC2, 0xC3]).decode(enc))
        span_first |= leads
        cont_first |= conts
        loose_first |= a0_leads | lossy_leads
        spans.append(f"(?<={cls(leads)})[ ?]?{cls(conts)}")
        conts_after += [f"(?<={cls(leads)}{cls(conts)})", f"(?<={cls(leads)}[ ?]{cls(conts)})"]
        if a0_leads:
            spans.append(f"(?<={cls(a0_leads)}) ")
            loose.append(f"(?<={cls(a0_leads)}) ")
        spans.append(f"(?<={cls(lossy_leads)})\\?")
        loose.append(f"(?<={cls(lossy_leads)})\\?")
    return (
        re.compile(f"{cls(span_first)}(?:{'|'.join(spans)})"),
        re.compile(f"{cls(cont_first)}(?:{'|'.join(conts_after)})"),
        re.compile(f"{cls(loose_first)}(?:{'|'.join(loose)})"),
    )


MOJIBAKE_TRIGGER_RE, _CONT_TRIGGER_RE, _LOOSE_TRIGGER_RE = _fast_path_res()


def may_have_mojibake(line: str) -> bool:
    """True when ftfy could change ``line``; False means it provably will not.
    Equivalent to ``MOJIBAKE_TRIGGER_RE.search(line) is not None``, faster.

    >>> may_have_mojibake("plain ASCII and ünïcödé 東京 Москва")
    False
    >>> may_have_mojibake("donâ€™t")
    True
    """
    if line.isascii() and "\x1a" not in line and "\x1b" not in line:
        return False
    return bool(_CONT_TRIGGER_RE.search(line) or _LOOSE_TRIGGER_RE.search(line))


_TOKEN_RE = re.compile(r"\S+")


def mojibake_tokens(line: str) -> list[re.Match[str]]:
    """The whitespace-separated tokens of ``line`` that hold a misread UTF-8 sequence
    (a hit of ``MOJIBAKE_TRIGGER_RE``): only those can be repaired.

    >>> [m.group() for m in mojibake_tokens("Wir erkl√§ren es, café")]
    ['erkl√§ren']
    """
    if not may_have_mojibake(line):
        return []
    # Hits come in order and do not overlap: a token overlaps one iff the first hit
    # ending after its start begins before its end (one bisect, not a scan of all:
    # linear on a hostile line of thousands of tokens and hits).
    hits = [m.span() for m in MOJIBAKE_TRIGGER_RE.finditer(line)]
    ends = [b for _, b in hits]
    out = []
    for t in _TOKEN_RE.finditer(line):
        k = bisect.bisect_right(ends, t.start())
        if k < len(hits) and hits[k][0] < t.end():
            out.append(t)
    return out


def fix_lines(text: str, fix_line: Callable[[str], str]) -> str:
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


def utf8_char_pattern(encoding: str, gap: str, lost_a0: bool = False) -> str:
    """Pattern of one character's UTF-8 bytes read in ``encoding``, with ``gap`` (a
    pattern: "" or " ?") allowed before each continuation byte; with ``lost_a0``, also
    a lead byte of ftfy's ``restore_byte_a0`` before a space (its 0xA0 became one)."""

    def cls(first: int, last: int) -> str:
        # NBSP stays: it is byte 0xA0, a continuation (Р\xa0 is "Р" read twice).
        chars = "".join(sorted(set(byte_chars(encoding, first, last)) - {" "}))
        return "[" + "".join(re.escape(c) for c in chars) + "]"

    cont, lead2, lead3, lead4 = cls(0x80, 0xBF), cls(0xC2, 0xDF), cls(0xE0, 0xEF), cls(0xF0, 0xF4)
    c = gap + cont
    # One class of every lead first, then a lookbehind for its length: a pattern that
    # starts with a class lets the regex engine skip ahead at C speed (an alternation
    # of three does not), which matters in Cyrillic text, where most letters are leads.
    lost = ""
    if lost_a0:
        chars = sorted(set(A0_LEADS.decode(encoding, errors="ignore")) - {" "})
        lost = "|(?<=[" + "".join(re.escape(ch) for ch in chars) + "])(?= )"
    return (
        f"(?:{cls(0xC2, 0xF4)}(?:(?<={lead2}){c}|(?<={lead3}){c}{c}|(?<={lead4}){c}{c}{c}{lost}))"
    )


@functools.lru_cache(maxsize=len(SPACED_ENCODINGS))
def _sequence_res(encoding: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(a whole UTF-8 sequence misread in ``encoding``, a space allowed before each
    continuation byte, or a lead byte whose continuation 0xA0 became a space (ftfy's
    ``restore_byte_a0`` leads; never in MacRoman, where 0xA0 is "†"); any character
    of its bytes 0x80-0xFF)."""
    high = sorted(set(byte_chars(encoding, 0x80, 0xFF)) - {" "})
    return (
        re.compile(utf8_char_pattern(encoding, " ?", lost_a0=encoding != "macroman")),
        re.compile("[" + "".join(re.escape(c) for c in high) + "]"),
    )


# Text misread in a code page is misread throughout: at least this share of its
# characters from the code page's upper half are parts of whole sequences. Clean
# text makes one now and then (Ukrainian "Лі" is a valid sequence in windows-1251).
MISREAD_SHARE = 0.5


def misread_throughout(line: str, encoding: str) -> bool:
    """Whole misread UTF-8 sequences make up ``MISREAD_SHARE`` of the characters of
    ``line`` from the upper half of ``encoding``.

    >>> misread_throughout("Gesch√§ftjahr", "macroman"), misread_throughout("Лі", "latin")
    (True, False)
    """
    sequence_re, high_re = _sequence_res(encoding)
    covered = sum(len(m.group().replace(" ", "")) for m in sequence_re.finditer(line))
    return bool(covered) and covered >= MISREAD_SHARE * len(high_re.findall(line))


@functools.lru_cache(maxsize=len(SPACED_ENCODINGS))
def spaced_patterns(encoding: str) -> tuple[re.Pattern[str], re.Pattern[str], frozenset[str]]:
    """(one misread character, a span of them, the characters of bytes 0x80-0xFF) in
    ``encoding``, a space allowed before each continuation byte and between characters."""
    char = utf8_char_pattern(encoding, " ?")
    mojibake_chars = frozenset(byte_chars(encoding, 0x80, 0xFF))
    return re.compile(char), re.compile(f"{char}(?: ?{char})*"), mojibake_chars


def script_of(ch: str) -> str:
    """The first word of a character's Unicode name: LATIN, CYRILLIC, GREEK...

    >>> script_of("ж"), script_of("é"), script_of("5")
    ('CYRILLIC', 'LATIN', 'DIGIT')
    """
    return unicodedata.name(ch, "").split(" ", 1)[0]


def split_edges(word: str) -> tuple[str, str, str]:
    """(leading punctuation, letters, trailing punctuation) of a decoded word."""
    start, end = 0, len(word)
    while start < end and not word[start].isalpha():
        start += 1
    while end > start and not word[end - 1].isalpha():
        end -= 1
    return word[:start], word[start:end], word[end:]


def plausible(text: str) -> bool:
    """Letters and marks of one script, maybe with punctuation at the edges («слово»,);
    or punctuation and symbols alone (« € —), which the caller checks are glued to words."""
    _, core, _ = split_edges(text)
    if not core:
        return bool(text) and all(unicodedata.category(c)[0] in "PS" for c in text)
    if not all(unicodedata.category(c)[0] in "LM" for c in core):
        return False
    return len({_WRITING.get(s, s) for s in {script_of(c) for c in core if c.isalpha()}}) == 1


# Scripts one writing system mixes inside a word: Japanese writes 東京 and ドードー
# (whose mark ー is "KATAKANA-HIRAGANA") and 食べる.
_WRITING = {"HIRAGANA": "CJK", "KATAKANA": "CJK", "KATAKANA-HIRAGANA": "CJK"}


def decode_utf8(chars: str, encoding: str) -> str | None:
    """The text whose UTF-8 bytes ``chars`` are in ``encoding`` (one or two layers)."""
    try:
        decoded = encode_misread(chars, encoding).decode("utf-8")
    except UnicodeError:
        return None
    # Double-garbled first: a second valid UTF-8 reading is no accident, while the
    # first reading of doubly garbled text can pass for a word with punctuation.
    for inner in SPACED_ENCODINGS:
        try:
            twice = encode_misread(decoded, inner).decode("utf-8")
        except UnicodeError:
            continue
        if twice != decoded and plausible(twice):
            return twice
    return decoded if plausible(decoded) else None


def splice(line: str, found: list[tuple[int, int, str]]) -> str:
    """``line`` with each (start, end, replacement) of ``found`` (in order) put in."""
    pieces, pos = [], 0
    for start, end, replacement in found:
        pieces += [line[pos:start], replacement]
        pos = end
    pieces.append(line[pos:])
    return "".join(pieces)
