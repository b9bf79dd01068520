"""Decide what is boilerplate, for the lines of a whole batch of documents at once.

The lines of all documents are one Polars column; every signal is a vectorized
expression, the rules are one declarative table (name, category, condition) evaluated
together, neighbour effects (a "Read also" header and the headlines under it, a
document's share of repeated lines) are window operations within a document, and the
line model scores every line the rules keep in one call. Every verdict carries a
stable category and the rule that decided, so each removal can be audited and
counted. The rules describe kinds of boilerplate, never one site.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from . import signals as sg
from .linemodel import ENDS_SENTENCE_PATTERN, LineModel, feature_frame, heading_count
from .normalize import fenced_lines

if TYPE_CHECKING:
    import polars as pl

# A removal is audited with one of these stable category names, and nothing else.
CATEGORIES = (
    "advertisement",
    "subscribe",
    "related_link",
    "promo",
    "photo_credit",
    "caption",
    "site_chrome",
    "syndication",
    "duplicate_title",
    "repeated_line",
    "markup_residue",
)


@dataclass(frozen=True)
class Verdict:
    keep: bool
    category: str | None = None
    rule: str | None = None


KEEP = Verdict(True)
# A repeated line kept because removing the repeated lines would empty the document.
KEEP_REPEATED = Verdict(True, None, "repetition_overruled")


def _remove(category: str, rule: str) -> Verdict:
    if category not in CATEGORIES:  # the audit's categories are a closed list
        raise ValueError(f"unknown removal category {category!r}")
    return Verdict(False, category, rule)


# Bounds on line length for phrase rules: a long paragraph that merely mentions a
# newsletter or a photo is prose, not boilerplate.
MAX_WORDS_PREFIX_RULE = 40
MAX_WORDS_SHORT_RULE = 25
MAX_WORDS_CREDIT = 20
MAX_WORDS_HEADLINE = 25
# "We never send spam. Unsubscribe at any time." -- not a sentence reporting one.
MAX_WORDS_SHORT_BOX = 12
MAX_RELATED_LIST = 12
# A line that stacks this many distinct subscription cues (subscribe, newsletter,
# Telegram, donate...) is a promotion block, up to a paragraph's length (a whole page
# flattened into one line is not).
MIN_SUBSCRIBE_CUES_ANY_LENGTH = 3
MAX_WORDS_PROMO_BLOCK = 150


def _rx(pattern: re.Pattern[str], anchor: str = "") -> str:
    """A Python pattern of signals.py for Polars' regex engine: flags inline, and
    ``match`` / ``fullmatch`` as anchors."""
    body = pattern.pattern
    if anchor == "match":
        body = f"^(?:{body})"
    elif anchor == "full":
        body = f"^(?:{body})$"
    return ("(?i)" if pattern.flags & re.IGNORECASE else "") + body


def signal_columns() -> list[pl.Expr]:
    """What the rules read of each line (column ``text``): never a decision."""
    import polars as pl

    text = pl.col("text")
    return [
        text.str.count_matches(sg.WORD_PATTERN).alias("n_words"),
        text.str.len_chars().alias("n_chars"),
        text.str.strip_chars().alias("stripped"),
        text.str.contains(ENDS_SENTENCE_PATTERN).alias("ends_sentence"),
        text.str.contains(r"\p{L}").alias("has_letters"),
        # sg.strip_edges, lowercased: the line without punctuation at its ends
        text.str.replace(r"^[^\p{L}\p{N}]+", "")
        .str.replace(r"[^\p{L}\p{N}]+$", "")
        .str.to_lowercase()
        .alias("whole"),
        # how many cues; distinct ones are counted where there are two or more
        text.str.count_matches(_rx(sg.SUBSCRIBE_CUE_RE).replace(r"\b", r"(?-u:\b)")).alias(
            "subscribe_cues"
        ),
        text.str.extract_all(_rx(sg.MARKUP_RESIDUE_RE))
        .list.eval(pl.element().str.len_chars())
        .list.sum()
        .fill_null(0)
        .alias("markup_chars"),
    ]


def _distinct_cues(frame: pl.DataFrame) -> pl.DataFrame:
    """``subscribe_cues`` as the number of distinct cues (by their first six letters:
    "newsletter" twice is one), counted in Python on the few lines with two or more."""
    import polars as pl

    rows = frame.with_row_index("_row").filter(pl.col("subscribe_cues") >= 2)
    if rows.height == 0:
        return frame
    distinct = [
        len({m.group().lower()[:6] for m in sg.SUBSCRIBE_CUE_RE.finditer(text)})
        for text in rows["text"]
    ]
    cues = frame["subscribe_cues"].scatter(
        rows["_row"], pl.Series(distinct, dtype=frame["subscribe_cues"].dtype)
    )
    return frame.with_columns(cues)


@dataclass(frozen=True)
class Rule:
    """One row of the rule table: a line matching ``when`` is removed as ``category``."""

    name: str
    category: str
    when: pl.Expr

    def __post_init__(self) -> None:
        _remove(self.category, self.name)  # a closed list of categories


@functools.cache
def rule_table() -> tuple[Rule, ...]:
    """The phrase and shape rules, in order: the first that matches a line decides."""
    import polars as pl

    text, whole, stripped = pl.col("text"), pl.col("whole"), pl.col("stripped")
    words, ends = pl.col("n_words"), pl.col("ends_sentence")
    cues = pl.col("subscribe_cues")
    markup = pl.col("markup_chars")
    non_space = pl.col("n_chars") - text.str.count_matches(" ")

    def has(p: re.Pattern[str], anchor: str = "", on: pl.Expr = text) -> pl.Expr:
        return on.str.contains(_rx(p, anchor))

    return (
        Rule("ad_marker_line", "advertisement", has(sg.ADVERTISEMENT_LINE_RE, "full", whole)),
        Rule("ui_label_line", "site_chrome", has(sg.SITE_CHROME_LINE_RE, "full", whole)),
        # an image's alt text
        Rule(
            "logo_label",
            "site_chrome",
            (words <= 3) & (whole.str.ends_with("logo") | whole.str.ends_with("favicon")),
        ),
        Rule(
            "copyright_line",
            "site_chrome",
            (words <= MAX_WORDS_SHORT_RULE) & has(sg.COPYRIGHT_RE),
        ),
        Rule("cookie_notice", "site_chrome", (words <= 60) & has(sg.COOKIE_RE)),
        Rule("markup_line", "markup_residue", (markup > 0) & (markup * 2 >= non_space)),
        Rule("related_header", "related_link", has(sg.RELATED_HEADER_RE, "full", stripped)),
        Rule(
            "related_prefix",
            "related_link",
            (words <= MAX_WORDS_PREFIX_RULE) & has(sg.RELATED_PREFIX_RE, "match"),
        ),
        Rule(
            "promo_prefix",
            "promo",
            (words <= MAX_WORDS_PREFIX_RULE) & has(sg.PROMO_PREFIX_RE, "match"),
        ),
        Rule("promo_phrase", "promo", (words <= 60) & has(sg.PROMO_ANYWHERE_RE)),
        Rule(
            "subscribe_call",
            "subscribe",
            has(sg.SUBSCRIBE_START_RE, "match") & ((words <= MAX_WORDS_SHORT_RULE) | (cues >= 2)),
        ),
        Rule(
            "subscribe_cues",
            "subscribe",
            (cues >= MIN_SUBSCRIBE_CUES_ANY_LENGTH) & (words <= MAX_WORDS_PROMO_BLOCK),
        ),
        # "We don't spam! Read our privacy policy.", "Newsletter Sign Up", a row of
        # social network names: a short line of two cues is a piece of a sign-up box.
        Rule(
            "subscribe_box_line",
            "subscribe",
            (cues >= 2) & (words <= MAX_WORDS_SHORT_BOX),
        ),
        Rule("syndication_note", "syndication", (words <= 60) & has(sg.SYNDICATION_RE)),
        Rule(
            "credit_prefix",
            "photo_credit",
            (words <= MAX_WORDS_CREDIT)
            & (has(sg.PHOTO_CREDIT_RE, "match") | has(sg.PHOTO_BY_RE, "match", stripped)),
        ),
        Rule(
            "image_agency",
            "photo_credit",
            (words <= 12) & ~ends & has(sg.PHOTO_AGENCY_RE),
        ),
    )


# Rules decided after the table, with their categories (audited like the table's).
LATER_RULES = {
    "related_list_item": "related_link",
    "source_rule": "site_chrome",
    "repeated_across_documents": "repeated_line",
    "line_model": "site_chrome",
}

# The model learned from whole web pages; a short text is not one, so it is left to
# the rules. Whether a page carries chrome at all is the model's to judge (its page
# features: the share of lines the rules removed, of short and of link-like lines);
# it may only never empty a page. (A 90 % cap stood here: grouped CV noisy F1 0.9031
# with it, 0.9054 without, already-clean text and noisy_recall unchanged.)
MIN_LINES_FOR_MODEL = 8
MAX_MODEL_REMOVED_SHARE = 0.99

# Lines placed inside the article (an ad marker between two paragraphs): the model
# judges the page as if they were not there, so a paragraph is not boilerplate for
# standing next to one.
INLINE_CATEGORIES = frozenset({"advertisement"})


def lines_frame(texts: Sequence[str]) -> pl.DataFrame:
    """The non-blank lines of every document: ``doc`` (its position in ``texts``),
    ``idx`` (0-based line index in the document) and ``text``."""

    return _lines_lazy(texts).collect()


def _lines_lazy(texts: Sequence[str]) -> pl.LazyFrame:
    import polars as pl

    return (
        pl.LazyFrame(
            {"doc": range(len(texts)), "text": list(texts)}, schema_overrides={"doc": pl.UInt32}
        )
        .with_columns(pl.col("text").str.split("\n"))
        .explode("text")
        .with_columns(idx=pl.int_range(pl.len(), dtype=pl.UInt32).over("doc"))
        .filter(pl.col("text").str.strip_chars() != "")
    )


def rule_verdicts(frame: pl.DataFrame | Sequence[str]) -> pl.DataFrame:
    """``frame`` (see lines_frame; or the texts to make it of) with the signal columns
    and ``rule``: the name of the first rule of the table that removes the line, or
    null; then the headlines under a "Read also" header (``related_list_item``)."""
    import polars as pl

    lazy = frame.lazy() if isinstance(frame, pl.DataFrame) else _lines_lazy(frame)
    frame = _distinct_cues(lazy.with_columns(signal_columns()).collect())
    decided: pl.Expr = pl.lit(None, dtype=pl.String)
    for rule in reversed(rule_table()):
        decided = pl.when(rule.when).then(pl.lit(rule.name)).otherwise(decided)
    lazy = frame.lazy().with_columns(
        rule=pl.when(pl.col("has_letters")).then(decided).otherwise(pl.lit(None, pl.String))
    )
    # Under a related header, up to MAX_RELATED_LIST headline-shaped lines the table
    # keeps are its links; anything else ends the list.
    headline = (
        pl.col("rule").is_null()
        & pl.col("n_words").is_between(2, MAX_WORDS_HEADLINE)
        & ~pl.col("text").str.contains(r"[.!…:;,]\s*$")
    )
    header = (pl.col("rule") == "related_header").fill_null(False)
    segment = (header | ~headline).cum_sum().over("doc")
    in_list = header.first().over("doc", segment)
    nth = pl.int_range(pl.len()).over("doc", segment)
    item = headline & in_list & nth.is_between(1, MAX_RELATED_LIST)
    return lazy.with_columns(
        rule=pl.when(item).then(pl.lit("related_list_item")).otherwise(pl.col("rule"))
    ).collect()


def classify_batch(
    texts: Sequence[str],
    *,
    repeated: Sequence[Mapping[int, int] | None] | None = None,
    repeated_min_docs: int = 3,
    repeated_min_words: int = 4,
    repeated_max_share: float = 0.8,
    source_lines: Sequence[frozenset[str]] | None = None,
    model: LineModel | None = None,
    thresholds: Sequence[float | None] | None = None,
) -> list[Classified]:
    """Verdicts for every line (``text.split("\\n")``) of every document of a batch.

    ``repeated[d]`` maps a line index of document ``d`` to the number of documents of
    its source that contain the line (cross-document repetition, counted by the flow).
    When the repeated lines hold ``repeated_max_share`` of a document's characters or
    more, they stay (``KEEP_REPEATED``): a page is not all footer, so the document is a
    copy of one counted before, or the counts are wrong. ``source_lines[d]`` are
    ``line_key`` forms configured as the source's own boilerplate. ``model`` judges the
    lines the rules keep (see linemodel.py); ``thresholds[d]``, when given and not None,
    replaces its threshold for document ``d``.
    """
    import polars as pl

    frame = later_rules(
        rule_verdicts(texts),
        repeated,
        repeated_min_docs,
        repeated_min_words,
        repeated_max_share,
        source_lines,
    )
    if model is not None:
        frame = _line_model(frame, model, thresholds)
    out = [[KEEP] * (t.count("\n") + 1) for t in texts]
    decided_lines: list[list[int]] = [[] for _ in texts]
    decided = frame.filter(pl.col("rule").is_not_null()).select("doc", "idx", "rule")
    for d, i, rule in decided.iter_rows():
        out[d][i] = _verdict(rule)
        decided_lines[d].append(i)
    kept_lines: list[list[int]] = [[] for _ in texts]
    by_doc = frame.filter(_keep(pl.col("rule"))).group_by("doc").agg("idx")
    for d, idx in by_doc.iter_rows():
        kept_lines[d] = idx
    for d, text in enumerate(texts):
        if "```" in text:
            keep_code_blocks(text, out[d], kept_lines[d], decided_lines[d])
    return [Classified(*x) for x in zip(out, kept_lines, decided_lines, strict=True)]


def keep_code_blocks(
    text: str, verdicts: list[Verdict], kept: list[int], decided: list[int]
) -> None:
    """Code an article quotes is content: no rule or model judges the lines of a fenced
    block (code reads like chrome to them: short, no sentence, symbols)."""
    lines = text.split("\n")
    code = set(fenced_lines(lines))
    if not code:
        return
    for i in code:
        verdicts[i] = KEEP
    decided[:] = [i for i in decided if i not in code]
    kept[:] = sorted({*kept, *(i for i in code if lines[i].strip())})


class Classified(NamedTuple):
    """A document's verdicts, one per line; the indices of its non-blank lines kept,
    and of the lines with a verdict other than KEEP, in order."""

    verdicts: list[Verdict]
    kept: list[int]
    decided: list[int]


@functools.cache
def _verdict(rule: str) -> Verdict:
    if rule == KEEP_REPEATED.rule:
        return KEEP_REPEATED
    for r in rule_table():
        if r.name == rule:
            return _remove(r.category, rule)
    return _remove(LATER_RULES[rule], rule)


def _keep(frame_rule: pl.Expr) -> pl.Expr:
    return frame_rule.is_null() | (frame_rule == KEEP_REPEATED.rule)


def _source_rules(
    frame: pl.DataFrame, source_lines: Sequence[frozenset[str]] | None
) -> pl.DataFrame:
    import polars as pl

    if not source_lines or not any(source_lines):
        return frame
    docs = [d for d, lines in enumerate(source_lines) if lines]
    rows = frame.filter(pl.col("doc").is_in(docs) & pl.col("rule").is_null())
    hits = [
        (d, i)
        for d, i, text in rows.select("doc", "idx", "text").iter_rows()
        if sg.line_key(text) in source_lines[d]
    ]
    return _mark(frame, _keys(hits), "source_rule")


def _keys(hits: list[tuple[int, int]]) -> pl.DataFrame:
    """(doc, idx) pairs as a frame to join on."""
    import polars as pl

    return pl.DataFrame(
        {"doc": [d for d, _ in hits], "idx": [i for _, i in hits]},
        schema={"doc": pl.UInt32, "idx": pl.UInt32},
    )


def _flag(frame: pl.DataFrame, keys: pl.DataFrame, name: str) -> pl.DataFrame:
    """``frame`` with a boolean column ``name``: true on the lines ``keys`` names."""
    import polars as pl

    marks = keys.select("doc", "idx").with_columns(pl.lit(True).alias(name))
    return frame.join(marks, on=["doc", "idx"], how="left", maintain_order="left").with_columns(
        pl.col(name).fill_null(False)
    )


def _mark(frame: pl.DataFrame, keys: pl.DataFrame, rule: str) -> pl.DataFrame:
    """The lines ``keys`` names get ``rule``."""
    import polars as pl

    if keys.height == 0:
        return frame
    return (
        _flag(frame, keys, "_hit")
        .with_columns(rule=pl.when(pl.col("_hit")).then(pl.lit(rule)).otherwise("rule"))
        .drop("_hit")
    )


def _repetition(
    frame: pl.DataFrame,
    repeated: Sequence[Mapping[int, int] | None] | None,
    min_docs: int,
    min_words: int,
    max_share: float,
) -> pl.DataFrame:
    import polars as pl

    if not repeated or not any(repeated):
        return frame
    hits = [
        (d, i)
        for d, counts in enumerate(repeated)
        if counts
        for i, n in counts.items()
        if n >= min_docs
    ]
    if not hits:
        return frame
    frame = _flag(frame, _keys(hits), "_rep")
    hit = pl.col("rule").is_null() & pl.col("_rep") & (pl.col("n_words") >= min_words)
    chars = pl.col("stripped").str.len_chars()
    lost = pl.when(hit).then(chars).otherwise(0).sum().over("doc")
    overruled = lost >= max_share * chars.sum().over("doc")
    return frame.with_columns(
        rule=pl.when(hit & overruled)
        .then(pl.lit(KEEP_REPEATED.rule))
        .when(hit)
        .then(pl.lit("repeated_across_documents"))
        .otherwise("rule")
    ).drop("_rep")


def model_view(frame: pl.DataFrame) -> pl.DataFrame:
    """The lines the model sees (``rule_verdicts`` output, after the later rules): those
    of documents of MIN_LINES_FOR_MODEL lines or more, inline lines left out, with
    ``rule_hit`` (a rule removed the line), ``kept`` (the model may remove it) and
    ``headings`` (section headings above it, see linemodel.heading_count)."""
    import polars as pl

    inline = [r.name for r in rule_table() if r.category in INLINE_CATEGORIES]
    return frame.filter(
        (pl.len().over("doc") >= MIN_LINES_FOR_MODEL)
        & ~pl.col("rule").is_in(inline).fill_null(False)
    ).with_columns(
        kept=_keep(pl.col("rule")), rule_hit=~_keep(pl.col("rule")), headings=heading_count()
    )


def _line_model(
    frame: pl.DataFrame, model: LineModel, thresholds: Sequence[float | None] | None = None
) -> pl.DataFrame:
    """The model's removals: lines the rules keep that it scores below its threshold
    (or their document's in ``thresholds``), unless it would take more than
    MAX_MODEL_REMOVED_SHARE of the words kept."""
    import numpy as np
    import polars as pl

    view = model_view(frame)
    if view.height == 0:
        return frame
    # Every line of the view gives context; only the ones the rules kept are scored.
    feats = feature_frame(view).filter(view["kept"])
    lines = view.filter(pl.col("kept")).select("doc", "n_words", "headings")
    low = np.zeros(view.height, dtype=bool)
    kept = view["kept"].to_numpy()
    if thresholds is None or all(t is None for t in thresholds):
        cut: float | np.ndarray = model.threshold
    else:
        per_doc = np.array([model.threshold if t is None else t for t in thresholds])
        cut = per_doc[view["doc"].to_numpy()[kept]]
    low[kept] = model.content_probs(feats, lines) < cut
    words = pl.col("n_words")
    drop = pl.col("kept") & pl.Series(low)
    scored = view.select("doc", "idx", "n_words", "kept").with_columns(_drop=drop)
    kept_words = pl.when(pl.col("kept")).then(words).otherwise(0).sum().over("doc")
    dropped_words = pl.when(pl.col("_drop")).then(words).otherwise(0).sum().over("doc")
    drops = scored.filter(pl.col("_drop") & (dropped_words <= MAX_MODEL_REMOVED_SHARE * kept_words))
    return _mark(frame, drops, "line_model")


def later_rules(
    frame: pl.DataFrame,
    repeated: Sequence[Mapping[int, int] | None] | None = None,
    repeated_min_docs: int = 3,
    repeated_min_words: int = 4,
    repeated_max_share: float = 0.8,
    source_lines: Sequence[frozenset[str]] | None = None,
) -> pl.DataFrame:
    """A source's own lines, then lines repeated across its documents."""
    frame = _source_rules(frame, source_lines)
    return _repetition(frame, repeated, repeated_min_docs, repeated_min_words, repeated_max_share)


def classify_lines(
    lines: Sequence[str],
    *,
    repeated: Mapping[int, int] | None = None,
    repeated_min_docs: int = 3,
    repeated_min_words: int = 4,
    repeated_max_share: float = 0.8,
    source_lines: frozenset[str] = frozenset(),
    model: LineModel | None = None,
) -> list[Verdict]:
    """The verdicts of one document: a batch of one (see classify_batch)."""
    return classify_batch(
        ["\n".join(lines)],
        repeated=[repeated],
        repeated_min_docs=repeated_min_docs,
        repeated_min_words=repeated_min_words,
        repeated_max_share=repeated_max_share,
        source_lines=[source_lines],
        model=model,
    )[0].verdicts
