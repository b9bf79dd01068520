"""Single words ftfy declines: a token repaired when it decodes to a listed word of
its script and is not one itself."""

from __future__ import annotations

from .codepages import (
    SPACED_ENCODINGS,
    decode_utf8,
    fix_lines,
    mojibake_tokens,
    spaced_patterns,
    splice,
)
from .words import is_listed_word

# --- single words ftfy declines ---------------------------------------------------
#
# ftfy wants more evidence than one garbled letter: "erkl√§ren" (German "erklären"
# read as MacRoman) or "sÄ…" (Polish "są" read as windows-1252) are left alone, since
# a pair like "√§" can occur in real text. A word supplies the evidence instead: a
# token is repaired only when the whole token decodes (once or twice over) to a word
# listed in wordfreq for a language of its script, while the token itself is not one.

# wordfreq "small" lists (words of frequency >= 1e-6, about 30,000 per language):


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
        if any(c in spaced_patterns(encoding)[2] for c in token):
            decoded = decode_utf8(token, encoding)
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
    found = (_word_reading(m.group()) for m in mojibake_tokens(line))
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
    for m in mojibake_tokens(line):
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
    return fix_lines(text, _fix_garbled_words_line)


def _fix_garbled_words_line(line: str) -> str:
    return splice(line, find_garbled_words(line))
