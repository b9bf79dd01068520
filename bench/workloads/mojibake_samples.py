"""Real multilingual text to garble: wordfreq word sequences, devset lines, ftfy cases.

Shared by tests/cleaners/test_mojibake.py and bench/mojibake.py. Deterministic.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

LANGUAGES = ("ru", "uk", "el", "fr", "de", "es", "pt", "pl", "tr")


def word_sequences(lang: str, n: int, seed: int = 0) -> list[str]:
    """``n`` phrases of 3-8 of the 3,000 most frequent words of ``lang``."""
    import wordfreq

    words = [w for w in wordfreq.top_n_list(lang, 3000) if w.isalpha()]
    rng = random.Random(f"{lang}:{seed}")
    out = []
    for i in range(n):
        phrase = " ".join(rng.choice(words) for _ in range(rng.randint(3, 8)))
        if i % 10 == 0:
            phrase = f"«{phrase}»"  # quotes the typographic pass also respaces
        elif i % 10 == 1:
            phrase = phrase.capitalize() + "."
        out.append(phrase)
    return out


def devset_lines(truths: list[str], n: int) -> list[str]:
    """Lines of the devset truth that contain non-ASCII letters (names, quotes, dashes)."""
    import ftfy

    from cleaners.mojibake import FTFY_CONFIG

    found = []
    for text in truths:
        for line in text.split("\n"):
            line = line[:300]
            # Clean lines only: some truth lines carry mojibake of their own.
            if any(c.isalpha() and not c.isascii() for c in line) and (
                ftfy.fix_text(line, FTFY_CONFIG) == line
            ):
                found.append(line)
    rng = random.Random(0)
    rng.shuffle(found)
    return found[:n]


def ftfy_case_texts(path: Path | None) -> list[str]:
    """The clean side of ftfy's own test cases (those it is expected to pass)."""
    if path is None or not path.exists():
        return []
    cases = json.loads(path.read_text(encoding="utf-8"))
    return [c["fixed"] for c in cases if c.get("expect") == "pass"]


def sample_texts(
    truths: list[str], ftfy_cases: Path | None = None, per_language: int = 300
) -> dict[str, list[str]]:
    """Texts by source: a language code, "devset" or "ftfy"."""
    texts = {lang: word_sequences(lang, per_language) for lang in LANGUAGES}
    texts["devset"] = devset_lines(truths, per_language)
    texts["ftfy"] = ftfy_case_texts(ftfy_cases)
    return texts


# Which texts each code page is realistically misread on: cp1251 where Cyrillic is
# written, MacRoman in Western Europe, windows-1252/latin-1 everywhere.
REALISTIC = {
    "cp1251": ("ru", "uk"),
    "mac_roman": ("fr", "de", "es", "pt", "devset"),
}


def texts_for(encoding: str, texts: dict[str, list[str]]) -> list[str]:
    sources = REALISTIC.get(encoding, tuple(texts))
    return [t for source in sources for t in texts.get(source, [])]


# --- real sentences (Universal Dependencies), garbled the ways pipelines do ----------

UD_PATH = Path(__file__).resolve().parents[3] / "shared" / "devset" / "ud-sentences.jsonl.gz"
CYRILLIC = ("ru", "uk", "bg", "be", "mk", "kk")
LATIN = ("fr", "de", "pl", "cs", "pt", "tr", "it", "es", "ro", "hu", "sr")
# The code pages each language is floored on (others are reported): windows-1252 and
# latin-1 for all; windows-1251 where Cyrillic is written, and for French (ftfy's own
# "mГ©dicament" case); MacRoman for the Latin-script languages.
UD_PAIRINGS = {
    "cp1252": (*CYRILLIC, "el", *LATIN),
    "latin-1": (*CYRILLIC, "el", *LATIN),
    "cp1251": (*CYRILLIC, "fr"),
    "mac_roman": LATIN,
}
# Reported, not floored: Greek through windows-1251, Russian through MacRoman.
UD_REPORTED = {"cp1251": ("el",), "mac_roman": ("ru",)}
# Languages without a wordfreq list: reported only.
NO_WORD_LIST = ("be", "kk")


def ud_half(sentence: str) -> str:
    """ "tune" or "held": a stable split by a hash of the sentence. Anything fitted
    (weights, thresholds) is fitted on "tune"; every figure is reported on "held"."""
    import hashlib

    return "tune" if hashlib.sha256(sentence.encode()).digest()[0] < 128 else "held"


def ud_paragraphs(
    half: str, path: Path = UD_PATH, per_language: int | None = None, seed: int = 0
) -> dict[str, list[str]]:
    """Paragraphs of 1-3 consecutive sentences of one language, from one half."""
    import gzip

    by_lang: dict[str, list[str]] = {}
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if ud_half(rec["text"]) == half:
                by_lang.setdefault(rec["lang"], []).append(rec["text"])
    rng = random.Random(f"{half}:{seed}")
    out: dict[str, list[str]] = {}
    for lang, sentences in sorted(by_lang.items()):
        paragraphs = []
        i = 0
        while i < len(sentences):
            k = rng.randint(1, 3)
            paragraphs.append(" ".join(sentences[i : i + k]))
            i += k
        out[lang] = paragraphs if per_language is None else paragraphs[:per_language]
    return out


def ambiguous_boundaries(original: str, encoding: str, times: int = 1) -> set[int]:
    """Where a typographic pass over the garbled ``original`` moves or inserts a space:
    after each character whose garbled form ends in °, ·, « or », before each whose
    garbled form begins with one (MacRoman reads « » · as lead bytes). Indexes count
    the non-space characters of ``original`` (a boundary ``i`` is after the ``i``-th);
    the edges of the text are not boundaries."""
    from bench.workloads.garble import garble

    marks = ("°", "·", "«", "»")
    out = set()
    i = 0
    for ch in original:
        if ch.isspace():
            continue
        form = garble(ch, encoding, times)
        if form[:1] in marks and i > 0:
            out.add(i)
        i += 1
        if form[-1:] in marks:
            out.add(i)
    n = sum(not c.isspace() for c in original)
    return {b for b in out if 0 < b < n}


def _spaces_after(text: str) -> tuple[str, set[int]]:
    """The text without white space, and the boundaries that had some."""
    chars: list[str] = []
    spaced = set()
    for ch in text:
        if ch.isspace():
            if chars:
                spaced.add(len(chars))
        else:
            chars.append(ch)
    return "".join(chars), spaced


def repair_scores(original: str, repaired: str, ambiguous: set[int]) -> tuple[bool, int, bool]:
    """(bytes right: equal once white space is removed; ambiguous boundaries whose
    space is right, 0 when the bytes are wrong; exact)."""
    a, spaces_a = _spaces_after(original)
    b, spaces_b = _spaces_after(repaired)
    if a != b:
        return False, 0, False
    right = sum((i in spaces_a) == (i in spaces_b) for i in ambiguous)
    return True, right, original == repaired
