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
