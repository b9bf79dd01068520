"""The learned line classifier: shallow text features of a line and of the page around
it (Kohlschütter et al. 2010, jusText), scored by LightGBM.

Features are Polars expressions over a column of lines (all documents of a batch at
once; neighbour and position features are window operations within a document). The
model is LightGBM's own text model file in ``cleaners/data``, trained by
``bench/train_line_model.py`` on the devset (labels from aligning each scraped line to
the page's true text); one ``predict`` call scores every line of a batch.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import polars as pl

# Frequent function words of the devset's languages: their density tells prose from
# menus (jusText's stopword density). Lowercased; compared to whole tokens.
STOPWORDS = tuple(
    """a about after all also an and any are as at be because been but by can could did
    do does for from had has have he her his how i if in into is it its just more most
    my no not of on one only or other our out over said she so some such than that the
    their them then there these they this to up was we were what when which who will
    with would you your le la les de des du un une et est en que qui dans pour pas sur
    au aux il elle ne se ce sont par plus der die das und ist nicht ein eine zu den mit
    von sich des auf für im dem auch es el los las del y en que un una por con para es
    se lo como más o e do da dos das um uma não com na no os il di che è per non una
    и в не на что с по как это он она но из за к у от то же так""".split()  # noqa: SIM905
)

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
    words = "|".join(re.escape(w) for w in sorted(set(STOPWORDS)))
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
    stopwords = (
        text.str.to_lowercase()
        .str.replace_all(" ", "  ", literal=True)
        .str.count_matches(_stopword_pattern())
    )
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


@dataclass(frozen=True)
class LineModel:
    """A LightGBM binary classifier of lines (probability of content) and the
    threshold below which a line is boilerplate."""

    booster: Any  # lightgbm.Booster
    threshold: float
    features: tuple[str, ...] = FEATURES

    def content_probs(self, feats: pl.DataFrame) -> np.ndarray:
        """One probability per row of ``feature_frame``'s output, in one call."""
        if feats.height == 0:
            import numpy as np

            return np.zeros(0)
        x = feats.select(self.features).to_numpy()
        return self.booster.predict(x, num_threads=1)

    @classmethod
    def from_files(cls, model_text: str, meta: dict[str, Any]) -> LineModel:
        import lightgbm

        if tuple(meta["features"]) != FEATURES:
            raise ValueError("line model was trained on other features; retrain it")
        booster = lightgbm.Booster(model_str=model_text)
        if tuple(booster.feature_name()) != FEATURES:
            raise ValueError("line model file does not name the features it was trained on")
        return cls(booster, float(meta["threshold"]))


MODEL_FILE = "data/line_model.txt"
META_FILE = "data/line_model.json"


@functools.lru_cache(maxsize=1)
def default_model() -> LineModel | None:
    """The shipped model, or None when the package has none (rules alone then)."""
    data = resources.files("cleaners")
    try:
        text = data.joinpath(MODEL_FILE).read_text("utf-8")
        meta = json.loads(data.joinpath(META_FILE).read_text("utf-8"))
    except FileNotFoundError:
        return None
    return LineModel.from_files(text, meta)
