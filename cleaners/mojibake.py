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
    return bytes(range(first, last + 1)).decode(encoding, errors="ignore")


def _fast_path_re() -> re.Pattern[str]:
    """Characters without which ftfy (under FTFY_CONFIG) provably changes nothing.

    UTF-8 mojibake in a single-byte code page is a lead byte (0xC0-0xF7) immediately
    followed by a continuation byte (0x80-0xBF), both decoded in that one code page;
    ftfy's looser repairs accept a space (a lost NBSP, ``restore_byte_a0``) or "?"
    (``replace_lossy_sequences``) in place of a continuation. Its remaining repairs
    look for C1 controls, U+FFFD, 0x1A, ESC or surrogates. latin-1 and windows-1252
    count as one code page, as in ftfy's own ``decode_inconsistent_utf8``. The test
    may send a clean line to ftfy, never the reverse.
    """

    def cls(chars: set[str]) -> str:
        return "[" + "".join(re.escape(c) for c in sorted(chars)) + "]"

    groups: dict[str, list[str]] = {}
    for enc in CHARMAP_ENCODINGS:
        key = "latin" if enc in ("latin-1", "sloppy-windows-1252") else enc
        groups.setdefault(key, []).append(enc)
    alternatives = []
    for encodings in groups.values():
        leads: set[str] = set()
        conts: set[str] = set()
        a0_leads: set[str] = set()  # ALTERED_UTF8_RE: these lead bytes before a space
        lossy_leads: set[str] = set()  # LOSSY_UTF8_RE: these lead bytes before "?"
        for enc in encodings:
            leads.update(_byte_chars(enc, 0xC0, 0xF7))
            conts.update(_byte_chars(enc, 0x80, 0xBF))
            a0_leads.update(bytes([0xC2, 0xC3, 0xC5, 0xCE, 0xD0, 0xD9]).decode(enc))
            lossy_leads.update(bytes([0xC2, 0xC3]).decode(enc))
        alternatives.append(f"{cls(leads)}[ ?]?{cls(conts)}|{cls(a0_leads)} |{cls(lossy_leads)}\\?")
    alternatives.append("[\\x80-\\x9f\\x1a\\x1b\\ufffd\\ud800-\\udfff]")
    return re.compile("|".join(alternatives))


MOJIBAKE_TRIGGER_RE = _fast_path_re()


def may_have_mojibake(line: str) -> bool:
    """True when ftfy could change ``line``; False means it provably will not.

    >>> may_have_mojibake("plain ASCII and ünïcödé 東京 Москва")
    False
    >>> may_have_mojibake("donâ€™t")
    True
    """
    return MOJIBAKE_TRIGGER_RE.search(line) is not None


def fix_encoding_mojibake(text: str) -> str:
    """ftfy's encoding repair under FTFY_CONFIG, skipping lines that cannot change.

    >>> fix_encoding_mojibake("donâ€™t stop")
    'don’t stop'
    >>> fix_encoding_mojibake("РєР°РЅР°Р» РІ Telegram")
    'канал в Telegram'
    """
    if not may_have_mojibake(text):
        return text
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if may_have_mojibake(line):
            lines[i] = ftfy.fix_text(line, FTFY_CONFIG)
    return "\n".join(lines)


# --- spaced mojibake -------------------------------------------------------------

# UTF-8 read as one of these, and then re-spaced. Order matters only for spans that
# decode under several; the script check below rejects the wrong one.
SPACED_ENCODINGS = ("sloppy-windows-1251", "sloppy-windows-1252", "latin-1", "macroman")

# Languages whose word frequencies restore word boundaries, per script of the
# decoded run. Only scripts that are written with spaces between words.
SEGMENT_LANGUAGES = {
    "CYRILLIC": ("ru", "uk", "bg"),
    "GREEK": ("el",),
    "LATIN": ("en", "fr", "de", "es", "pt", "it"),
}


@functools.lru_cache(maxsize=len(SPACED_ENCODINGS))
def _spaced_span_re(encoding: str) -> re.Pattern[str]:
    def cls(first: int, last: int) -> str:
        chars = _byte_chars(encoding, first, last).replace(" ", "").replace("\xa0", "")
        return "[" + "".join(re.escape(c) for c in chars) + "]"

    cont, lead2, lead3, lead4 = cls(0x80, 0xBF), cls(0xC2, 0xDF), cls(0xE0, 0xEF), cls(0xF0, 0xF4)
    # One character's bytes, each continuation byte optionally preceded by one
    # inserted space; characters optionally separated by spaces.
    char = f"(?:{lead2} ?{cont}|{lead3} ?{cont} ?{cont}|{lead4} ?{cont} ?{cont} ?{cont})"
    return re.compile(f"{char}(?: ?{char})*")


def _script(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return name.split(" ", 1)[0]


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


def restore_word_boundaries(decoded: str) -> str:
    """Re-insert the spaces a typographic pass moved or dropped inside a decoded run.

    Word boundaries come from the word frequencies of the languages of the run's
    script; a run in a script without listed languages is returned unsegmented.

    >>> restore_word_boundaries("каналв")
    'канал в'
    """
    letters = [c for c in decoded if c.isalpha()]
    if len(letters) != len(decoded) or not letters:
        return decoded
    scripts = {_script(c) for c in letters}
    if len(scripts) != 1:
        return decoded
    langs = SEGMENT_LANGUAGES.get(scripts.pop())
    if not langs:
        return decoded
    best: tuple[list[str], float] | None = None
    for lang in langs:  # most likely language first; stop when it explains every word
        words, score = segment_words(decoded, lang)
        if best is None or score > best[1]:
            best = (words, score)
        if all(w.lower() in _freqs(lang) for w in words):
            break
    assert best is not None
    return " ".join(best[0])


def _decode_span(span: str, encoding: str) -> str | None:
    joined = span.replace(" ", "")
    try:
        decoded = joined.encode(encoding).decode("utf-8")
    except UnicodeError:
        return None
    # Plausible text only: letters and marks of one script (digits and punctuation
    # would be ASCII, which is never inside a span).
    if not all(unicodedata.category(c)[0] in "LM" for c in decoded):
        return None
    if len({_script(c) for c in decoded if c.isalpha()}) > 1:
        return None
    return decoded


def fix_spaced_mojibake(text: str) -> str:
    """Repair UTF-8 mojibake whose byte sequences were split by inserted spaces.

    A span qualifies only if a space really splits one character's bytes (so ftfy
    could not decode it), the joined bytes are valid UTF-8, and the result is letters
    of a single script. Word spaces inside the span are then re-inferred.

    >>> fix_spaced_mojibake("subscribe to our РєР ° РЅР ° Р »РІ Telegram")
    'subscribe to our канал в Telegram'
    >>> fix_spaced_mojibake("caf\u00c3 \u00a9 au lait")
    'café au lait'
    >>> fix_spaced_mojibake("«Ёлка» — 25 °C, Ã in a name")
    '«Ёлка» — 25 °C, Ã in a name'
    """
    if not may_have_mojibake(text):
        return text
    for encoding in SPACED_ENCODINGS:
        pattern = _spaced_span_re(encoding)
        pieces: list[str] = []
        pos = 0
        for match in pattern.finditer(text):
            span = match.group()
            if " " not in span:
                continue  # unspaced mojibake is ftfy's job
            decoded = _decode_span(span, encoding)
            if decoded is None:
                continue
            # A single decoded letter must be glued to a word (cafÃ © -> café), or
            # a stray "Р »" in real text could be read as one.
            start, end = match.span()
            glued = (start > 0 and text[start - 1].isalpha()) or (
                end < len(text) and text[end].isalpha()
            )
            if len(decoded) < 2 and not glued:
                continue
            if not glued:
                decoded = restore_word_boundaries(decoded)
            pieces.append(text[pos:start])
            pieces.append(decoded)
            pos = end
        if pieces:
            text = "".join(pieces) + text[pos:]
    return text


def fix_mojibake(text: str) -> str:
    """Repair mojibake: ftfy's encoding fixes plus spaced mojibake, to a fixed point.

    >>> fix_mojibake("donâ€™t")
    'don’t'
    >>> fix_mojibake("our РєР ° РЅР ° Р »РІ Telegram")
    'our канал в Telegram'
    """
    return fix_mojibake_and_explain(text)[0]


def fix_mojibake_and_explain(text: str) -> tuple[str, list[str]]:
    """Like fix_mojibake, and name the repairs that changed something."""
    fixes: list[str] = []
    # Double-garbled text may need: spaced repair, then ftfy on what it uncovered.
    for _ in range(3):
        before = text
        fixed = fix_encoding_mojibake(text)
        if fixed != text and "fix_mojibake" not in fixes:
            fixes.append("fix_mojibake")
        text = fixed
        fixed = fix_spaced_mojibake(text)
        if fixed != text and "fix_spaced_mojibake" not in fixes:
            fixes.append("fix_spaced_mojibake")
        text = fixed
        if text == before:
            break
    return text, fixes
