"""ftfy, the engine: its pinned configuration, its encoding repair behind the fast
path, which code pages it decoded a line from, and whether any repair (ftfy's or a
code page's) can change a line."""

from __future__ import annotations

import re

import ftfy
from ftfy import fixes
from ftfy.badness import is_bad
from ftfy.chardata import ALTERED_UTF8_RE, CHARMAP_ENCODINGS, UTF8_DETECTOR_RE

from .codepages import SPACED_ENCODINGS, fix_lines, may_have_mojibake, misread_throughout

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


def fix_encoding_mojibake(text: str) -> str:
    """ftfy's encoding repair under FTFY_CONFIG, skipping lines that cannot change.

    >>> fix_encoding_mojibake("donâ€™t stop")
    'don’t stop'
    >>> fix_encoding_mojibake("РєР°РЅР°Р» РІ Telegram")
    'канал в Telegram'
    """
    return fix_lines(text, _fix_line)


# What ftfy's steps other than the encoding repair act on (FTFY_CONFIG): terminal
# escapes, C1 controls, surrogates.
_OTHER_STEPS_RE = re.compile("[\x1b\x80-\x9f\ud800-\udfff]")


def ftfy_may_change(line: str) -> bool:
    """False when ftfy (FTFY_CONFIG) provably returns ``line`` unchanged. Its steps
    other than the encoding repair need a character they fix. The encoding repair
    returns at once for text its badness heuristic does not flag, and otherwise changes
    a line only by decoding all of it from one of its code pages (after restoring lost
    NBSPs and lossy "?" sequences), by its ``decode_inconsistent_utf8`` (which needs its
    detector's pattern) or by fixing C1 controls. The badness test goes first: clean
    Cyrillic and Greek lines pass the detector's pattern but never the badness test.

    >>> ftfy_may_change("Всё «хорошо» — её слова"), ftfy_may_change("donâ€™t")
    (False, True)
    """
    if line.isascii() and "\x1a" not in line and "\x1b" not in line:
        return False
    if _OTHER_STEPS_RE.search(line):
        return True
    # ftfy's encoding step returns at once unless the badness heuristic flags the
    # whole line, before it tries a code page or its detector.
    if not is_bad(line):
        return False
    return _decodes_whole(line) or UTF8_DETECTOR_RE.search(line) is not None


def _decodes_whole(line: str) -> bool:
    """Does the line, encoded in one of ftfy's code pages, decode as UTF-8 the way
    ftfy's encoding repair tries it?"""
    for encoding in CHARMAP_ENCODINGS:
        try:
            data = line.encode(encoding)
        except UnicodeEncodeError:
            continue
        try:
            data.decode("utf-8")
            return True
        except UnicodeDecodeError as exc:
            # ftfy's restorations act where a sequence holds a space, "?" or 0x1A (a lost
            # NBSP, a lossy sequence), and its decoder also takes C0 80 and ED A0-BF: where the
            # bytes first go wrong is one of those, or nothing ftfy does decodes them.
            window = data[exc.start : exc.start + 4]
            variant = window[:2] == b"\xc0\x80" or (
                window[:1] == b"\xed" and 0xA0 <= window[1:2][0:1][0] <= 0xBF
                if len(window) > 1
                else False
            )
            if not variant and not any(c in window for c in b" ?\x1a"):
                continue
        if encoding != "macroman" and ALTERED_UTF8_RE.search(data):
            data = fixes.restore_byte_a0(data)
        if encoding.startswith("sloppy"):
            data = fixes.replace_lossy_sequences(data)
        try:
            data.decode("utf-8-variants" if (0xED in data or 0xC0 in data) else "utf-8")
            return True
        except UnicodeDecodeError:
            pass
    return False


def _fix_line(line: str) -> str:
    return ftfy.fix_text(line, FTFY_CONFIG) if ftfy_may_change(line) else line


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


def needs_repair(line: str) -> bool:
    """False when no repair can change ``line``: ftfy provably leaves it alone
    (``may_have_mojibake`` and its badness heuristic), and in no code page do whole
    misread UTF-8 sequences, which the spaced, word and layer repairs decode, make up
    half of its upper-half characters. Clean text in any script ends here, after a
    few regular-expression scans.

    >>> needs_repair("Всё «хорошо», — её слова. Лі"), needs_repair("our РєР ° РЅР ° Р »РІ")
    (False, True)
    """
    # The trigger also sees every misread sequence the repairs decode.
    return may_have_mojibake(line) and triggered_needs_repair(line)


def triggered_needs_repair(line: str) -> bool:
    """``needs_repair`` of a line ``may_have_mojibake`` already holds for."""
    return any(misread_throughout(line, e) for e in SPACED_ENCODINGS) or ftfy_may_change(line)
