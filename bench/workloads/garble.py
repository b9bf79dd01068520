"""Make mojibake the ways real pipelines do, to test and measure its repair.

Not used by cleaning itself: tests and ``bench/mojibake.py`` garble real text with
these and check that ``fix_mojibake`` brings it back.
"""

from __future__ import annotations

import random

import ftfy.bad_codecs  # noqa: F401  (registers the sloppy-windows-* codecs)

# Short names for the code pages UTF-8 is commonly misread as. The sloppy codecs
# decode every byte (as browsers do), so garbling never fails.
GARBLE_ENCODINGS = {
    "cp1251": "sloppy-windows-1251",
    "cp1252": "sloppy-windows-1252",
    "latin-1": "latin-1",
    "mac_roman": "macroman",
}
KINDS = ("plain", "double", "split", "typographic", "double_typographic")


def garble(text: str, encoding: str, times: int = 1) -> str:
    """Read the UTF-8 bytes of ``text`` as ``encoding``, ``times`` over.

    >>> garble("канал в", "cp1251")
    'РєР°РЅР°Р» РІ'
    """
    codec = GARBLE_ENCODINGS.get(encoding, encoding)
    for _ in range(times):
        text = text.encode("utf-8").decode(codec)
    return text


def typographic_spacing(text: str) -> str:
    """What a typographic pass does to mojibake: spaces around ° and ·, a space before
    » that takes the place of the one after it, a space after «.

    >>> typographic_spacing("РєР°РЅР°Р» РІ")
    'РєР ° РЅР ° Р »РІ'
    """
    out: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch in "°·":
            if out and out[-1] != " ":
                out.append(" ")
            out.append(ch)
            if i + 1 < n and text[i + 1] != " ":
                out.append(" ")
        elif ch == "»":
            if out and out[-1] != " ":
                out.append(" ")
            out.append(ch)
            if i + 1 < n and text[i + 1] == " ":
                i += 1  # the space after » is the one that moved before it
        elif ch == "«":
            while out and out[-1] == " ":
                out.pop()
            out.append(ch)
            if i + 1 < n and text[i + 1] != " ":
                out.append(" ")
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def split_sequences(text: str, encoding: str, rate: float = 0.3, seed: int = 0) -> str:
    """Insert a space before some continuation-byte characters of mojibake.

    ``text`` must already be garbled in ``encoding``; a continuation is any
    character whose byte in that code page is 0x80-0xBF and that follows a
    non-space character.
    """
    codec = GARBLE_ENCODINGS.get(encoding, encoding)
    conts = set(bytes(range(0x80, 0xC0)).decode(codec)) - {" ", "\xa0"}
    rng = random.Random(seed)
    out: list[str] = []
    for i, ch in enumerate(text):
        if ch in conts and i and text[i - 1] != " " and rng.random() < rate:
            out.append(" ")
        out.append(ch)
    return "".join(out)


def garble_kind(text: str, encoding: str, kind: str, seed: int = 0) -> str:
    """Garble ``text`` in one of KINDS."""
    if kind == "plain":
        return garble(text, encoding)
    if kind == "double":
        return garble(text, encoding, 2)
    if kind == "split":
        return split_sequences(garble(text, encoding), encoding, seed=seed)
    if kind == "typographic":
        return typographic_spacing(garble(text, encoding))
    if kind == "double_typographic":
        return typographic_spacing(garble(text, encoding, 2))
    raise ValueError(f"unknown garbling kind {kind!r}; expected one of {KINDS}")
