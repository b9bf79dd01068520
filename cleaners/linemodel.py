"""The learned line classifier: shallow text features of a line and of the page around
it (Kohlschütter et al. 2010, jusText), scored by LightGBM.

Features are Polars expressions over a column of lines (all documents of a batch at
once; neighbour and position features are window operations within a document). The
model is LightGBM's own text model file in ``cleaners/data``, trained by
``bench/train_line_model.py`` on the devset (labels from aligning each scraped line to
the page's true text); one ``predict`` call scores every line of a batch.

A second stage rescores each line knowing the first stage's scores of its page: its
neighbours' scores, rolling means, the page's mean, the longest high-scoring span (the
article) and the section headings after it; one more ``predict`` call. The model's
metadata records a fingerprint of the rules and feature definitions it was trained
with: models.py, above both this module and the rules, computes it and refuses a
model of other ones (``feature_definitions`` and ``feature_constants`` say what of
this module it hashes).
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

from .signals import UNSPACED_CHARS

if TYPE_CHECKING:
    from collections.abc import Callable

    import numpy as np
    import polars as pl

# The most frequent words of every language wordfreq has a full list for
# (bench/fit_stopwords.py writes them): their density tells prose from menus in any
# language (jusText's stopword density). Lowercased; compared to whole tokens, except
# in scripts written without spaces, where single characters are counted in the line.
STOPWORD_FILE = "data/stopwords.json"


@functools.cache
def _stopword_lists() -> dict[str, list[str]]:
    data = resources.files("cleaners").joinpath(STOPWORD_FILE).read_text("utf-8")
    return json.loads(data)


def _is_unspaced(word: str) -> bool:
    return bool(re.fullmatch(f"[{UNSPACED_CHARS}]", word))


def stopwords() -> tuple[str, ...]:
    """The stopwords compared to whole tokens, of every language."""
    words = {w for ws in _stopword_lists().values() for w in ws if not _is_unspaced(w)}
    return tuple(sorted(words))


def unspaced_stopwords() -> str:
    """The single-character stopwords of scripts written without spaces."""
    return "".join(sorted({w for ws in _stopword_lists().values() for w in ws if _is_unspaced(w)}))


# ASCII word boundaries: Unicode ones keep Rust's regex off its fast engines (7x slower).
_LINKISH_PATTERN = r"(?i)https?://|www\.|\.(?:com|org|net|html?)(?-u:\b)|@\w|[|»›>]|\s/\s"
_EDGE_PUNCT = ".,;:!?\"'()[]«»“”‘’"
_BULLET_PATTERN = r"^\s*(?:[-•*·▪►]|\d{1,3}[.)])\s"
ENDS_SENTENCE_PATTERN = r"[.!?…\"'”»)。！？」』။]\s*$"

# The article is one dense region of prose: a prose line is a long sentence.
PROSE_MIN_WORDS = 10
NEAR, WINDOW, WIDE = 2, 5, 15  # half-widths, in lines, of the windows around a line

FEATURES = (
    "log_words",
    "log_chars",
    "ends_sentence",
    "title_case",
    "stopwords",
    "digits",
    "punct",
    "linkish",
    "all_caps",
    "bullet",
    "chars_per_word",
    "has_colon_end",
    "position",
    "prev_log_words",
    "next_log_words",
    "prev_ends",
    "next_ends",
    "near_max_words",
    "near_stopwords",
    "short_run",
    "dup_in_doc",
    "rule_hit",
    "prev_rule_hit",
    "next_rule_hit",
    "doc_prose_share",
    "doc_log_lines",
    "words_before_share",
    "in_prose_span",
    "prose_distance",
    "prose_before_share",
    "window_prose_share",
    "wide_prose_share",
    "dense_distance",
    "dense_share",
    "doc_rule_share",
    "doc_short_share",
    "doc_linkish_share",
)


@functools.cache
def _stopword_pattern() -> str:
    """A space-delimited token that is a stopword once the punctuation at its edges is
    stripped. Matched in text whose spaces are doubled, so that neighbouring tokens do
    not share one (a count of matches is then a count of tokens)."""
    edge = "[" + "".join(re.escape(c) for c in _EDGE_PUNCT) + "]*"
    words = "|".join(re.escape(w) for w in stopwords())
    return f"(?:^| ){edge}(?:{words}){edge}(?: |$)"


def line_columns() -> list[pl.Expr]:
    """Measures of each line alone, from columns ``text`` (the line) and ``n_words``."""
    import polars as pl

    text = pl.col("text")
    stripped = text.str.strip_chars()
    n_chars = stripped.str.len_chars().cast(pl.Float64)
    n_words = pl.col("n_words").cast(pl.Float64)
    per_word = pl.when(n_words > 0).then(1.0 / n_words).otherwise(0.0)
    per_char = pl.when(n_chars > 0).then(1.0 / n_chars).otherwise(0.0)
    # Neither letters nor spaces (counted directly: twice as fast as deleting the rest).
    punct = stripped.str.count_matches(r"[^\p{L}\s]").cast(pl.Float64)
    # One regex pass instead of a list per line (the same count: 3x faster).
    stopwords = text.str.to_lowercase().str.replace_all(" ", "  ", literal=True).str.count_matches(
        _stopword_pattern()
    ) + text.str.count_matches(f"[{unspaced_stopwords()}]")
    return [
        n_words.log1p().alias("log_words"),
        n_chars.log1p().alias("log_chars"),
        text.str.contains(ENDS_SENTENCE_PATTERN).cast(pl.Float64).alias("ends_sentence"),
        (text.str.count_matches(r"(?:^|[\s(\"'“‘«-])\p{Lu}").cast(pl.Float64) * per_word)
        .clip(0.0, 1.0)
        .alias("title_case"),
        (stopwords.cast(pl.Float64) * per_word).clip(0.0, 1.0).alias("stopwords"),
        (stripped.str.count_matches(r"\d") * per_char).alias("digits"),
        (punct * per_char).alias("punct"),
        text.str.count_matches(_LINKISH_PATTERN).cast(pl.Float64).alias("linkish"),
        (text.str.contains(r"\p{Lu}.*\p{Lu}.*\p{Lu}") & ~text.str.contains(r"\p{Ll}"))
        .cast(pl.Float64)
        .alias("all_caps"),
        text.str.contains(_BULLET_PATTERN).cast(pl.Float64).alias("bullet"),
        (n_chars * per_word).alias("chars_per_word"),
        stripped.str.ends_with(":").cast(pl.Float64).alias("has_colon_end"),
    ]


def _over(expr: pl.Expr) -> pl.Expr:
    return expr.over("doc")


def context_columns() -> list[pl.Expr]:
    """Where each line sits in its document and what surrounds it. Reads the
    per-line columns, ``n_words``, ``rule_hit`` and ``doc`` (lines in document order)."""
    import polars as pl

    c = pl.col
    pos = pl.int_range(pl.len()).over("doc").cast(pl.Float64)
    n = pl.len().over("doc").cast(pl.Float64)
    n_words = c("n_words").cast(pl.Float64)
    prose = (n_words >= PROSE_MIN_WORDS) & (c("ends_sentence") > 0)
    prose_words = pl.when(prose).then(n_words).otherwise(0.0)
    total_words = _over(n_words.sum()).clip(1.0)
    total_prose = _over(prose_words.sum()).clip(1.0)
    prose_pos = pl.when(prose).then(pos)
    last_prose = _over(prose_pos.forward_fill())
    next_prose = _over(prose_pos.backward_fill())
    distance = pl.min_horizontal(pos - last_prose, next_prose - pos).fill_null(n)
    short = n_words <= 3
    run = _over(short.rle_id())
    # The densest region: the window of 2*WINDOW+1 lines holding the most prose words.
    dense = _over(prose_words.rolling_sum(2 * WINDOW + 1, center=True, min_samples=1))
    dense_at = _over(pl.when(dense == _over(dense.max())).then(pos).min())
    key = c("text").str.strip_chars().str.to_lowercase()
    return [
        (pos / (n - 1).clip(1.0)).alias("position"),
        _over(c("log_words").shift(1, fill_value=0.0)).alias("prev_log_words"),
        _over(c("log_words").shift(-1, fill_value=0.0)).alias("next_log_words"),
        _over(c("ends_sentence").shift(1, fill_value=0.0)).alias("prev_ends"),
        _over(c("ends_sentence").shift(-1, fill_value=0.0)).alias("next_ends"),
        _over(c("log_words").rolling_max(2 * NEAR + 1, center=True, min_samples=1)).alias(
            "near_max_words"
        ),
        _over(c("stopwords").rolling_mean(2 * NEAR + 1, center=True, min_samples=1)).alias(
            "near_stopwords"
        ),
        pl.when(short)
        .then(pl.len().over("doc", run).cast(pl.Float64))
        .otherwise(0.0)
        .log1p()
        .alias("short_run"),
        (pl.len().over("doc", key) > 1).cast(pl.Float64).alias("dup_in_doc"),
        c("rule_hit").cast(pl.Float64).alias("rule_hit"),
        _over(c("rule_hit").shift(1, fill_value=False)).cast(pl.Float64).alias("prev_rule_hit"),
        _over(c("rule_hit").shift(-1, fill_value=False)).cast(pl.Float64).alias("next_rule_hit"),
        _over(prose.cast(pl.Float64).mean()).alias("doc_prose_share"),
        n.log1p().alias("doc_log_lines"),
        (_over(n_words.cum_sum() - n_words) / total_words).alias("words_before_share"),
        ((pos >= _over(prose_pos.min())) & (pos <= _over(prose_pos.max())))
        .fill_null(False)
        .cast(pl.Float64)
        .alias("in_prose_span"),
        distance.log1p().alias("prose_distance"),
        (_over(prose_words.cum_sum() - prose_words) / total_prose).alias("prose_before_share"),
        _over(
            prose.cast(pl.Float64).rolling_mean(2 * WINDOW + 1, center=True, min_samples=1)
        ).alias("window_prose_share"),
        _over(prose.cast(pl.Float64).rolling_mean(2 * WIDE + 1, center=True, min_samples=1)).alias(
            "wide_prose_share"
        ),
        (pos - dense_at).abs().log1p().alias("dense_distance"),
        (_over(dense.max()) / total_words).alias("dense_share"),
        # Does the page carry chrome at all? An article already extracted has no line
        # the rules remove and few menu-like lines; a scraped page has many.
        _over(c("rule_hit").cast(pl.Float64).mean()).alias("doc_rule_share"),
        _over(short.cast(pl.Float64).mean()).alias("doc_short_share"),
        _over((c("linkish") > 0).cast(pl.Float64).mean()).alias("doc_linkish_share"),
    ]


def feature_frame(lines: pl.DataFrame) -> pl.DataFrame:
    """FEATURES of each row of ``lines`` (columns ``doc``, ``text``, ``n_words``,
    ``rule_hit``; non-blank lines of each document in order), as float32 columns."""
    import polars as pl

    return (
        lines.lazy()
        .with_columns(line_columns())
        .with_columns(context_columns())
        .select(pl.col(FEATURES).cast(pl.Float32))  # what LightGBM reads; half the memory
        .collect()
    )


# --- the second stage: the page as context of the first stage's scores -------------

# Half-widths, in lines, of the score windows; neighbours up to CONTEXT_NEIGHBOURS away.
CONTEXT_NEIGHBOURS = 3
SCORE_WINDOWS = (1, 3, 7)
# A section heading: the article ends above it (comments, tags, related links). Up to
# this many words.
MAX_WORDS_HEADING = 8

CONTEXT_FEATURES = (
    "p",
    *(f"p_prev{k}" for k in range(1, CONTEXT_NEIGHBOURS + 1)),
    *(f"p_next{k}" for k in range(1, CONTEXT_NEIGHBOURS + 1)),
    *(f"p_mean{w}" for w in SCORE_WINDOWS),
    "p_wmean3",
    "doc_p_mean",
    "doc_p_wmean",
    "doc_p_high_share",
    "in_span",
    "span_distance",
    "span_before",
    "span_after",
    "span_words_share",
    "headings_before",
    "headings_since_span",
)
STAGE2_FEATURES = FEATURES + CONTEXT_FEATURES


def heading_count() -> pl.Expr:
    """Section headings above each line of its document (``text``, ``n_words``,
    ``rule``, ``doc``; every line of the model's view, before the rules' removals are
    left out): a related-links header, or a short line naming a page section."""
    import polars as pl

    from .signals import SECTION_HEADING_RE

    whole = (
        pl.col("text")
        .str.replace(r"^[^\p{L}\p{N}]+", "")
        .str.replace(r"[^\p{L}\p{N}]+$", "")
        .str.to_lowercase()
    )
    cue = (pl.col("n_words") <= MAX_WORDS_HEADING) & (
        (pl.col("rule") == "related_header").fill_null(False)
        | whole.str.contains(f"^(?:{SECTION_HEADING_RE.pattern})$")
    )
    return (cue.cast(pl.Float64).cum_sum() - cue.cast(pl.Float64)).over("doc").alias("headings")


def context_features(frame: pl.DataFrame, p: np.ndarray) -> pl.DataFrame:
    """CONTEXT_FEATURES of the lines the first stage scored (``frame``: ``doc``,
    ``n_words``, ``headings``, in document order; ``p``: their first-stage scores).

    The longest high-scoring span is the article: the contiguous lines of greatest sum
    of (p - 0.5) * log(1 + words), found per document with cumulative sums (the sum to
    a line less the least sum before it)."""
    import polars as pl

    c = pl.col
    pos = pl.int_range(pl.len()).over("doc")
    words = c("n_words").cast(pl.Float64)
    logw = words.log1p()
    gain = (c("p") - 0.5) * logw
    run = gain.cum_sum().over("doc")
    before = run - gain  # the sum before the line
    least = before.cum_min().over("doc")
    best = (run - least).max().over("doc")
    end = pl.when(run - least == best).then(pos).min().over("doc")
    least_at_end = pl.when(pos == end).then(least).max().over("doc")
    start = pl.when((pos <= end) & (before <= least_at_end)).then(pos).max().over("doc")
    heads_at_end = pl.when(pos == end).then(c("headings")).max().over("doc")
    total = words.sum().over("doc").clip(1.0)

    def mean(w: int) -> pl.Expr:
        return c("p").rolling_mean(2 * w + 1, center=True, min_samples=1).over("doc")

    shifts = [
        c("p").shift(d, fill_value=0.0).over("doc").alias(f"p_{name}{k}")
        for k in range(1, CONTEXT_NEIGHBOURS + 1)
        for d, name in ((k, "prev"), (-k, "next"))
    ]
    wsum = lambda x: x.rolling_sum(7, center=True, min_samples=1).over("doc")  # noqa: E731
    return (
        frame.lazy()
        .select("doc", "n_words", "headings")
        .with_columns(p=pl.Series(p, dtype=pl.Float64))
        .with_columns(
            *shifts,
            *(mean(w).alias(f"p_mean{w}") for w in SCORE_WINDOWS),
            (wsum(c("p") * logw) / wsum(logw).clip(1e-9)).alias("p_wmean3"),
            c("p").mean().over("doc").alias("doc_p_mean"),
            ((c("p") * logw).sum().over("doc") / logw.sum().over("doc").clip(1e-9)).alias(
                "doc_p_wmean"
            ),
            (c("p") >= 0.5).cast(pl.Float64).mean().over("doc").alias("doc_p_high_share"),
            _span(pos, start, end, words, total, heads_at_end),
        )
        .unnest("span")
        .select(pl.col(CONTEXT_FEATURES).cast(pl.Float32))
        .collect()
    )


def _span(
    pos: pl.Expr, start: pl.Expr, end: pl.Expr, words: pl.Expr, total: pl.Expr, heads: pl.Expr
) -> pl.Expr:
    import polars as pl

    inside = (pos >= start) & (pos <= end)
    gap = pl.max_horizontal(start - pos, pos - end, pl.lit(0)).cast(pl.Float64)
    return pl.struct(
        inside.cast(pl.Float64).alias("in_span"),
        gap.log1p().alias("span_distance"),
        (pos < start).cast(pl.Float64).alias("span_before"),
        (pos > end).cast(pl.Float64).alias("span_after"),
        (pl.when(inside).then(words).otherwise(0.0).sum().over("doc") / total).alias(
            "span_words_share"
        ),
        pl.col("headings").log1p().alias("headings_before"),
        pl.when(pos > end)
        .then(pl.col("headings") - heads)
        .otherwise(0.0)
        .clip(0.0)
        .log1p()
        .alias("headings_since_span"),
    ).alias("span")


def feature_definitions() -> tuple[Callable[..., Any], ...]:
    """The functions that define both stages' features: a model trained before one of
    them changed reads other inputs than it learned from (models.fingerprint hashes
    their code, in this order)."""
    return (line_columns, context_columns, heading_count, context_features, _span)


def feature_constants() -> list[str]:
    """The constants the features read, as text, in the order models.fingerprint
    hashes them: patterns, the stopwords, window sizes and feature names."""
    return [
        ENDS_SENTENCE_PATTERN,
        _LINKISH_PATTERN,
        _BULLET_PATTERN,
        _EDGE_PUNCT,
        json.dumps(_stopword_lists(), sort_keys=True),
        repr((PROSE_MIN_WORDS, NEAR, WINDOW, WIDE, FEATURES)),
        repr((CONTEXT_NEIGHBOURS, SCORE_WINDOWS, MAX_WORDS_HEADING, CONTEXT_FEATURES)),
    ]


@dataclass(frozen=True)
class LineModel:
    """A LightGBM binary classifier of lines (probability of content) and the
    threshold below which a line is boilerplate; and, when given, a second stage that
    rescores each line knowing the first stage's scores of its page (see
    context_features)."""

    booster: Any  # lightgbm.Booster
    threshold: float
    features: tuple[str, ...] = FEATURES
    context: Any = None  # lightgbm.Booster over STAGE2_FEATURES, or None

    def first_stage(self, feats: pl.DataFrame) -> np.ndarray:
        """One probability per row of ``feature_frame``'s output, in one call."""
        import numpy as np

        if feats.height == 0:
            return np.zeros(0)
        x = feats.select(self.features).to_numpy()
        return self.booster.predict(x, num_threads=1)

    def content_probs(self, feats: pl.DataFrame, lines: pl.DataFrame | None = None) -> np.ndarray:
        """The final probability of each row of ``feature_frame``'s output; ``lines``
        (``doc``, ``n_words``, ``headings`` of the same rows) for the second stage."""
        p = self.first_stage(feats)
        if self.context is None or lines is None or feats.height == 0:
            return p
        ctx = context_features(lines, p)
        x = feats.select(FEATURES).hstack(ctx).to_numpy()
        return self.context.predict(x, num_threads=1)

    @classmethod
    def from_files(
        cls, model_text: str, meta: dict[str, Any], context_text: str | None = None
    ) -> LineModel:
        """The model of these files, whose metadata names these features. Whether it
        was trained with these rules is models.load_line_model's check: the rules
        depend on this module, not it on them."""
        import lightgbm

        if tuple(meta["features"]) != FEATURES:
            raise ValueError("line model was trained on other features; retrain it")
        booster = lightgbm.Booster(model_str=model_text)
        if tuple(booster.feature_name()) != FEATURES:
            raise ValueError("line model file does not name the features it was trained on")
        context = None
        if context_text is not None:
            context = lightgbm.Booster(model_str=context_text)
            if tuple(context.feature_name()) != STAGE2_FEATURES:
                raise ValueError("context model file does not name the features it was trained on")
        return cls(booster, float(meta["threshold"]), context=context)
