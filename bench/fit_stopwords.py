"""Write ``cleaners/data/stopwords.json``: the most frequent words of every language
wordfreq has a full list for (its ``best`` lists), for the line model's stopword density.

    uv run python bench/fit_stopwords.py

A language's most frequent words are its function words: their density tells prose
from menus in any language (jusText's stopword density), where a hand list covers a
few. Words with a digit or a mark that is not a letter are left out. For scripts
written without spaces (Chinese, Japanese) only single characters are kept: they are
counted inside a line, which has no word boundaries.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import wordfreq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cleaners.signals import count_words  # noqa: E402

OUT = ROOT / "cleaners" / "data" / "stopwords.json"
TOP = 40


def stopwords(lang: str) -> list[str]:
    words = [w for w in wordfreq.top_n_list(lang, TOP) if w.isalpha()]
    if lang in ("ja", "zh"):
        return [w for w in words if len(w) == 1]
    # a word of an unspaced script inside a spaced language's list: counted as letters
    return [w for w in words if count_words(w) == 1]


def main() -> None:
    langs = sorted(wordfreq.available_languages("best"))
    data = {lang: stopwords(lang) for lang in langs}
    OUT.write_text(json.dumps(data, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}: {len(data)} languages, top {TOP} words each")


if __name__ == "__main__":
    main()
