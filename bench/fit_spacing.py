"""Fit what the spaced-mojibake repair learns, on the "tune" half of the UD sentences.

    uv run python bench/fit_spacing.py [--write]

1. How each language spaces its punctuation: for every punctuation or symbol
   character and every run of two or more ("--"), P(a space after it | a letter or
   digit follows) and P(a space before it | one precedes); and the same of a number
   next to a letter (key "0"); per language and pooled ("*"), with add-one smoothing
   toward the pooled figure. Written to ``cleaners/data/boundaries.json`` with ``--write``.
2. The word model's weights (spaced.py: UNKNOWN_WORD, PER_WORD, UNKNOWN_PER_CHAR), by a
   grid search on
   the share of ambiguous spaces put back right, over typographic garbling of the
   tune half. Printed; set them in spaced.py.

Nothing here reads the "held" half: bench/mojibake.py reports on it.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.workloads.mojibake_samples import ud_paragraphs  # noqa: E402

OUT = ROOT / "cleaners" / "data" / "boundaries.json"
MIN_SEEN = 3  # a character seen fewer times in a language takes the pooled figure


def spacing_counts(paragraphs: dict[str, list[str]]) -> dict[str, dict[str, list[int]]]:
    """lang -> key -> [after: spaced, after: total, before: spaced, before: total].

    Keys: each punctuation character, with a letter or digit on the other side (past
    one space); each run of two or more punctuation characters ("--", "»,") the same
    way; and "0", a run of digits with a letter on the other side ("1780 года",
    "км2")."""
    counts: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0] * 4))

    def count(
        lang: str, key: str, text: str, start: int, end: int, other: Callable[[str], bool]
    ) -> None:
        c = counts[lang][key]
        spaced = end < len(text) and text[end] == " "
        k = end + 1 if spaced else end
        if k < len(text) and other(text[k]):
            c[0] += spaced
            c[1] += 1
        spaced = start > 0 and text[start - 1] == " "
        k = start - 2 if spaced else start - 1
        if k >= 0 and other(text[k]):
            c[2] += spaced
            c[3] += 1

    for lang, texts in paragraphs.items():
        for text in texts:
            for m in _RUNS.finditer(text):
                run, start, end = m.group(), m.start(), m.end()
                if run[0].isdigit():
                    count(lang, "0", text, start, end, str.isalpha)
                    continue
                for i, ch in enumerate(run):
                    count(lang, ch, text, start + i, start + i + 1, str.isalnum)
                if len(run) > 1:
                    count(lang, run, text, start, end, str.isalnum)
    return counts


# Runs of digits, and of characters that are neither letters, digits nor spaces.
_RUNS = re.compile(r"\d+|(?:[^\w\s]|_)+")


def spacing_table(counts: dict[str, dict[str, list[int]]]) -> dict[str, dict[str, list[float]]]:
    pooled: dict[str, list[int]] = defaultdict(lambda: [0] * 4)
    for by_char in counts.values():
        for ch, c in by_char.items():
            for i in range(4):
                pooled[ch][i] += c[i]

    def probs(c: list[int], prior: list[float]) -> list[float]:
        return [
            round((c[0] + prior[0]) / (c[1] + 1), 3),
            round((c[2] + prior[1]) / (c[3] + 1), 3),
        ]

    table: dict[str, dict[str, list[float]]] = {"*": {}}
    for ch, c in pooled.items():
        if c[1] + c[3] >= MIN_SEEN:
            table["*"][ch] = probs(c, [0.5, 0.5])
    for lang, by_char in counts.items():
        table[lang] = {
            ch: probs(c, table["*"].get(ch, [0.5, 0.5]))
            for ch, c in by_char.items()
            if c[1] + c[3] >= MIN_SEEN
        }
    return {k: dict(sorted(v.items())) for k, v in sorted(table.items())}


def fit_weights(paragraphs: dict[str, list[str]], per_language: int) -> None:
    from bench.mojibake import ud_scores  # the same scoring the held-out figures use
    from bench.workloads.mojibake_samples import UD_PAIRINGS
    from cleaners.mojibake import fix_mojibake, spaced

    sample = {k: v[:per_language] for k, v in paragraphs.items()}
    grid = itertools.product((-2.0,), (-2.5, -2.0, -1.5), (0.0, -0.25, -0.5))
    results = []
    for unknown, per_word, per_char in grid:
        spaced.UNKNOWN_WORD, spaced.PER_WORD, spaced.UNKNOWN_PER_CHAR = unknown, per_word, per_char
        total = []
        for encoding in ("cp1251", "cp1252", "mac_roman"):
            langs = [g for g in UD_PAIRINGS[encoding] if g in sample]
            scores = ud_scores({g: sample[g] for g in langs}, encoding, "typographic", fix_mojibake)
            total += [row[2] for row in scores.values() if row[2] == row[2]]
        mean = sum(total) / len(total)
        results.append((mean, unknown, per_word, per_char))
        print(
            f"  UNKNOWN_WORD {unknown:5.1f}  PER_WORD {per_word:5.1f}  UNKNOWN_PER_CHAR"
            f" {per_char:5.2f}  spaces {mean:.4f}"
        )
    best = max(results)
    print(
        f"best: UNKNOWN_WORD = {best[1]}, PER_WORD = {best[2]}, UNKNOWN_PER_CHAR = {best[3]}"
        f" (spaces {best[0]:.4f})"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="write cleaners/data/boundaries.json")
    ap.add_argument("--weights", action="store_true", help="grid-search the word weights")
    ap.add_argument("--per-language", type=int, default=40)
    args = ap.parse_args()
    paragraphs = ud_paragraphs("tune")
    table = spacing_table(spacing_counts(paragraphs))
    print(f"{sum(len(v) for v in table.values())} characters over {len(table)} tables")
    for ch in "«»°·,.:;)(\"'-–—":
        print(f"  {ch!r}: pooled {table['*'].get(ch)}  fr {table.get('fr', {}).get(ch)}")
    if args.write:
        OUT.write_text(json.dumps(table, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
        print(f"wrote {OUT.relative_to(ROOT)}")
    if args.weights:
        fit_weights(paragraphs, args.per_language)


if __name__ == "__main__":
    main()
