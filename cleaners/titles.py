"""The learned title picker: which line near the top of a page is its headline.

A scraped page puts its headline among navigation, breadcrumbs, dates and bylines,
mostly a few lines above the first line cleaning keeps. The candidates of a document
are its non-blank, headline-sized lines from WINDOW_BEFORE non-blank lines before the
first kept line to WINDOW_AFTER after it; ``candidate_features`` describes each by
shape, position and what cleaning made of it and of its neighbours (nothing a site
names). A LightGBM model (``bench/train_title_model.py``, trained on the devset's
scraped pages against each page's own ``<h1>`` / ``og:title``) scores every candidate
of a batch in one call; a document's best candidate is its title when its score
clears the model's threshold, chosen for precision (a wrong title is worse than none).
A document whose first kept line is its first line (nothing above it was removed: an
article as a plain-text corpus holds it) has a threshold of its own, chosen on such
documents: scraped pages, and true texts with and without their headline.
"""

from __future__ import annotations

import functools
import heapq
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .signals import WORD_PATTERN, count_words

if TYPE_CHECKING:
    import numpy as np

    from .boilerplate import Classified

WINDOW_BEFORE = 12  # non-blank lines above the first kept line
WINDOW_AFTER = 2  # non-blank lines from the first kept line on (itself included)
MAX_CHARS = 300
PROSE_WORDS = 10
LEAD_LINES = 3  # the lead: the first kept prose lines
COMMON_WORDS = 30  # the body's commonest words: its function words, in any language

_TERMINAL = ".!?…\"'”»)。！？」』။"
_SENTENCE_END = ".,;:…。、，：；"  # as looks_like_title: a line ending so goes on
_CLOSERS = "\"')]»”’」』"
_DATE = re.compile(r"\b(?:19|20)\d\d\b|\b\d{1,2}[./-]\d{1,2}(?:[./-]\d{2,4})?\b|\d{1,2}:\d\d")
_SEPARATOR = re.compile(r"\s[|\-–—·•»›/]\s")
_WORD_RE = re.compile(WORD_PATTERN)
_LINKISH = re.compile(r"(?i)https?://|www\.|@\w|[|»›>]")

FEATURES = (
    "n_words",
    "n_chars",
    "rel_pos",  # in non-blank lines, from the first kept line (negative: above it)
    "abs_pos",  # in non-blank lines, from the document's start
    "abs_share",  # abs_pos over the document's non-blank lines
    "kept",
    "model_removed",
    "rule_removed",
    "title_case",  # share of cased words that start upper-case
    "upper_share",  # share of letters upper-case
    "ends_sentence",
    "ends_like_clause",  # , ; : … : the line goes on
    "ends_question",
    "digit_share",
    "date_like",
    "separator",  # " | ", " - ": a site name or a breadcrumb
    "linkish",
    "repeats",  # other lines of the document with the same letters
    "contained",  # later lines of the window that contain its letters
    "words_rank",  # 0: the most words of the window's candidates
    "n_candidates",
    "prev_words",
    "prev_kept",
    "next_words",
    "next_kept",
    "next_prose",  # the next non-blank line is kept prose
    "to_prose",  # non-blank lines down to the first kept prose line (clipped)
    "key_share",  # letters and digits over characters
    "body_share",  # share of its words found in the kept lines below it
    "lead_share",  # share of its words found in the first kept prose lines below it
    "stopword_share",  # share of its words among the body's most frequent ones
)


@dataclass(frozen=True)
class Candidate:
    doc: int
    idx: int  # line index in the document


# [\W_] is exactly "not str.isalnum()" (checked over every code point); one regex
# pass instead of a Python step per character (titles key every line of a page).
_NOT_ALNUM_RE = re.compile(r"[\W_]+")


def title_key(line: str) -> str:
    """Letters and digits only, lowercased: headlines compared across punctuation.

    >>> title_key("Trump weighs plan ,El Salvador") == title_key("Trump weighs plan; El Salvador")
    True
    """
    return _NOT_ALNUM_RE.sub("", line.lower())


def _verdict_flags(rule: str | None) -> tuple[int, int, int]:
    if rule is None or rule == "repetition_overruled":
        return 1, 0, 0
    if rule == "line_model":
        return 0, 1, 0
    return 0, 0, 1


def title_candidates(lines: Sequence[str], classified: Classified, max_words: int) -> list[int]:
    """Line indices of the window's headline-sized lines (see the module docstring).

    >>> from cleaners.boilerplate import KEEP, Classified
    >>> lines = ["Menu", "", "Storm hits the coast", "By Ann Lee", "The storm came at night."]
    >>> title_candidates(lines, Classified([KEEP] * 5, [4], []), 30)
    [2, 3, 4]
    """
    if not classified.kept:
        return []
    nonblank = [i for i, line in enumerate(lines) if line.strip()]
    first = nonblank.index(classified.kept[0])
    window = nonblank[max(0, first - WINDOW_BEFORE) : first + WINDOW_AFTER]
    return [
        i for i in window if len(lines[i]) <= MAX_CHARS and 2 <= count_words(lines[i]) <= max_words
    ]


def candidate_features(
    lines: Sequence[str], classified: Classified, candidates: Sequence[int]
) -> list[list[float]]:
    """One row of FEATURES per candidate line (``title_candidates``' output).

    >>> from cleaners.boilerplate import KEEP, Classified
    >>> lines = ["Menu", "Storm Hits The Coast", "The storm came at night, they said."]
    >>> row = candidate_features(lines, Classified([KEEP] * 3, [2], []), [1])[0]
    >>> f = dict(zip(FEATURES, row))
    >>> f["n_words"], f["rel_pos"], f["title_case"], f["next_prose"], f["ends_sentence"]
    (4.0, -1.0, 1.0, 0.0, 0.0)
    """
    if not candidates:
        return []
    nonblank = [i for i, line in enumerate(lines) if line.strip()]
    pos = {i: k for k, i in enumerate(nonblank)}
    rules = [v.rule for v in classified.verdicts]
    kept = set(classified.kept)
    first = pos[classified.kept[0]]
    # a line longer than any candidate is no copy of one: its key is not worth the time
    keys = [title_key(lines[i]) if len(lines[i]) <= MAX_CHARS else "" for i in nonblank]
    key_counts = Counter(k for k in keys if k)
    words = {i: count_words(lines[i]) for i in candidates}
    ranked = sorted(candidates, key=lambda i: -words[i])
    rank = {i: r for r, i in enumerate(ranked)}
    n = len(nonblank)
    prose_at = _prose_positions(lines, nonblank, kept, max(pos[i] for i in candidates) + 50)
    window_keys = [keys[pos[i]] or title_key(lines[i]) for i in candidates]
    # the kept text's words, counted in one pass (Counter counts a list in C)
    body = Counter(_words("\n".join(lines[i] for i in classified.kept)))
    lead = set()
    for k in prose_at[:LEAD_LINES]:
        lead.update(_words(lines[nonblank[k]]))
    # ties broken by the word: the same features whatever the hash seed
    common = {w for w, _ in heapq.nsmallest(COMMON_WORDS, body.items(), key=_by_count)}
    rows = []
    for c, i in enumerate(candidates):
        line = lines[i].strip()
        k = pos[i]
        key = keys[k]
        prev_i = nonblank[k - 1] if k > 0 else None
        next_i = nonblank[k + 1] if k + 1 < n else None
        below = [p for p in prose_at if p > k]
        kept_f, model_f, rule_f = _verdict_flags(rules[i])
        rows.append(
            [
                float(words[i]),
                float(len(line)),
                float(k - first),
                float(k),
                k / n,
                float(kept_f),
                float(model_f),
                float(rule_f),
                _title_case(line),
                _upper_share(line),
                float(line.rstrip(_CLOSERS)[-1:] in _TERMINAL or line[-1:] in _TERMINAL),
                float(line.rstrip(_CLOSERS)[-1:] in _SENTENCE_END),
                float(line[-1:] in "?？"),
                sum(ch.isdigit() for ch in line) / len(line),
                float(bool(_DATE.search(line))),
                float(bool(_SEPARATOR.search(line))),
                float(bool(_LINKISH.search(line))),
                float(key_counts[key] - 1 if key else 0),
                float(sum(1 for other in window_keys[c + 1 :] if key and key in other)),
                float(rank[i]),
                float(len(candidates)),
                float(count_words(lines[prev_i])) if prev_i is not None else -1.0,
                float(prev_i in kept) if prev_i is not None else -1.0,
                float(count_words(lines[next_i])) if next_i is not None else -1.0,
                float(next_i in kept) if next_i is not None else -1.0,
                float(next_i is not None and next_i in kept and _is_prose(lines[next_i])),
                float(min(below[0] - k, 50)) if below else 50.0,
                len(key) / len(line),
                *_shares(lines[i], body, lead, common, i in kept),
            ]
        )
    return rows


def _words(line: str) -> list[str]:
    return _WORD_RE.findall(line.lower())


def _shares(
    line: str, body: Counter, lead: set[str], common: set[str], in_body: bool
) -> tuple[float, float, float]:
    """Shares of the line's distinct words in the body (the kept lines, less the line
    itself when it is one of them), in the lead, among the body's commonest words."""
    all_words = _words(line)
    if not all_words:
        return 0.0, 0.0, 0.0
    own = Counter(all_words) if in_body else Counter()
    words = set(all_words)
    n = len(words)
    return (
        sum(body[w] > own[w] for w in words) / n,
        sum(w in lead for w in words) / n,
        sum(w in common for w in words) / n,
    )


def _by_count(item: tuple[str, int]) -> tuple[int, str]:
    return -item[1], item[0]


def _prose_positions(
    lines: Sequence[str], nonblank: Sequence[int], kept: set[int], until: int
) -> list[int]:
    """Positions (in ``nonblank``) of the kept prose lines up to ``until``, and past it
    until the lead's LEAD_LINES are found: no feature looks further (the distance to
    the next prose line is capped at 50)."""
    found = []
    for k, i in enumerate(nonblank):
        if k > until and len(found) >= LEAD_LINES:
            break
        if i in kept and _is_prose(lines[i]):
            found.append(k)
    return found


def _is_prose(line: str) -> bool:
    return line.rstrip()[-1:] in _TERMINAL and count_words(line) >= PROSE_WORDS


def _title_case(line: str) -> float:
    cased = [w for w in line.split() if w[:1].isalpha() and w[:1].lower() != w[:1].upper()]
    return sum(w[0].isupper() for w in cased) / len(cased) if cased else 0.0


def _upper_share(line: str) -> float:
    letters = [ch for ch in line if ch.isalpha() and ch.lower() != ch.upper()]
    return sum(ch.isupper() for ch in letters) / len(letters) if letters else 0.0


@dataclass(frozen=True)
class TitleModel:
    """LightGBM's scorer of candidates and the score a title must reach."""

    booster: Any  # lightgbm.Booster
    threshold: float
    # for a document whose first kept line is its first line: nothing above to pick from
    threshold_at_top: float

    def scores(self, rows: list[list[float]]) -> np.ndarray:
        """One probability per row, in one call."""
        import numpy as np

        if not rows:
            return np.zeros(0)
        return self.booster.predict(np.asarray(rows, dtype=np.float64), num_threads=1)

    @classmethod
    def from_files(cls, model_text: str, meta: dict[str, Any]) -> TitleModel:
        import lightgbm

        if tuple(meta["features"]) != FEATURES or meta.get("window") != [
            WINDOW_BEFORE,
            WINDOW_AFTER,
        ]:
            raise ValueError(
                "title model was trained on other features or another window: retrain it "
                "with bench/train_title_model.py"
            )
        booster = lightgbm.Booster(model_str=model_text)
        return cls(booster, float(meta["threshold"]), float(meta["threshold_at_top"]))


MODEL_FILE = "data/title_model.txt"
META_FILE = "data/title_model.json"


@functools.lru_cache(maxsize=1)
def default_title_model() -> TitleModel | None:
    """The shipped model, or None when the package has none."""
    from .models import shipped_model

    shipped = shipped_model(MODEL_FILE, META_FILE)
    return None if shipped is None else TitleModel.from_files(*shipped)


def pick_titles(
    texts: Sequence[str],
    classified: Sequence[Classified],
    eligible: Sequence[bool],
    max_words: int,
    model: TitleModel,
) -> list[int | None]:
    """Per document, the line index of its title or None: every candidate of the
    ``eligible`` documents scored in one model call."""
    rows: list[list[float]] = []
    owners: list[tuple[int, int]] = []
    for d, (text, c) in enumerate(zip(texts, classified, strict=True)):
        if not eligible[d]:
            continue
        lines = text.split("\n")
        cands = title_candidates(lines, c, max_words)
        rows += candidate_features(lines, c, cands)
        owners += [(d, i) for i in cands]
    best: list[tuple[float, int] | None] = [None] * len(texts)
    for (d, i), p in zip(owners, model.scores(rows), strict=True):
        if best[d] is None or p > best[d][0]:  # type: ignore[index]
            best[d] = (float(p), i)
    out: list[int | None] = []
    for d, b in enumerate(best):
        if b is None:
            out.append(None)
            continue
        first = classified[d].kept[0]
        at_top = not any(line.strip() for line in texts[d].split("\n", first)[:first])
        out.append(
            b[1] if b[0] >= (model.threshold_at_top if at_top else model.threshold) else None
        )
    return out
