"""Write cleaners/data/stopwords.txt: the most frequent words of each language
wordfreq covers in the scripts textwash reads (Latin, Cyrillic, Greek), the
function words whose density tells prose from menus in any of them (jusText keeps
one stoplist per language; one union serves a page of unknown language).

    uv run python bench/make_stopwords.py [--top 100]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import wordfreq

LANGUAGES = (
    "en fr de es pt it nl pl tr sv da nb fi cs sk hu ro ca hr sl lt lv ru uk bg sr mk el"
).split()
OUT = Path(__file__).resolve().parents[1] / "cleaners" / "data" / "stopwords.txt"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--top", type=int, default=100)
    args = ap.parse_args()
    words: set[str] = set()
    for lang in LANGUAGES:
        if lang in wordfreq.available_languages():
            words.update(w for w in wordfreq.top_n_list(lang, args.top) if w.isalpha())
    OUT.write_text("\n".join(sorted(words)) + "\n", encoding="utf-8")
    print(f"wrote {OUT.name}: {len(words)} words from {len(LANGUAGES)} languages")


if __name__ == "__main__":
    main()
