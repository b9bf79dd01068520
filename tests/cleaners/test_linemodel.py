from __future__ import annotations

import math

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaners.boilerplate import classify_batch, classify_lines, lines_frame
from cleaners.linemodel import FEATURES, feature_frame
from cleaners.models import default_model

PROSE = "A long sentence of real article prose that ends right here, as prose does."


def _features(texts: list[str]) -> pl.DataFrame:
    frame = lines_frame(texts).with_columns(
        n_words=pl.col("text").str.count_matches(r"\w+"), rule_hit=pl.lit(False)
    )
    return feature_frame(frame)


def test_features_have_one_finite_row_per_non_blank_line() -> None:
    feats = _features(["Home\n\n" + PROSE + "\nShare", "Only one line"])
    assert feats.height == 4 and feats.columns == list(FEATURES)
    assert all(math.isfinite(v) for row in feats.iter_rows() for v in row)
    assert feats["position"].to_list() == [0.0, 0.5, 1.0, 0.0]


def test_window_features_stay_inside_their_document() -> None:
    """A document's features do not depend on the documents batched with it."""
    a = "\n".join(["Home", PROSE, "Menu", PROSE, "Share"] * 3)
    b = "\n".join(["Login", "About us", "Contact"] * 4)
    together = _features([a, b])
    alone = pl.concat([_features([a]), _features([b])])
    assert together.equals(alone)


_line = st.one_of(
    st.sampled_from(
        ["Home", "ADVERTISEMENT", "Related stories:", "Sign up for our newsletter", PROSE, ""]
    ),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\n\r"), max_size=60),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(_line, min_size=1, max_size=14), min_size=1, max_size=4))
def test_a_batch_decides_what_each_document_alone_decides(docs: list[list[str]]) -> None:
    model = default_model()
    texts = ["\n".join(lines) for lines in docs]
    batch = [c.verdicts for c in classify_batch(texts, model=model)]
    assert batch == [classify_lines(text.split("\n"), model=model) for text in texts]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(st.characters(codec="utf-8", exclude_characters="\n\r")), max_size=8))
def test_punct_is_the_share_left_once_letters_and_spaces_are_deleted(lines: list[str]) -> None:
    """The model was trained on that definition; the faster direct count must agree."""
    frame = lines_frame(["\n".join(lines)])
    stripped = pl.col("text").str.strip_chars()
    n_chars = stripped.str.len_chars().cast(pl.Float64)
    left = stripped.str.replace_all(r"[\p{L}\s]+", "").str.len_chars().cast(pl.Float64)
    expected = frame.select(pl.when(n_chars > 0).then(left / n_chars).otherwise(0.0))
    got = _features(["\n".join(lines)])["punct"]
    assert got.to_list() == expected.to_series().cast(pl.Float32).to_list()


_words = st.sampled_from(["the", "The", "of", "und", "и", "más", "a", "about", "word", "", "x"])
_edges = st.sampled_from(["", ".", ",", '"', "«", "»", "“", "’", "(", ")", "[", "]", "!?", "-"])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.tuples(_edges, _words, _edges).map("".join),
            st.text(st.characters(codec="utf-8", exclude_characters="\n\r"), max_size=8),
        ),
        max_size=12,
    )
)
def test_stopwords_count_the_tokens_that_strip_to_a_stopword(tokens: list[str]) -> None:
    """The model was trained on: split on spaces, strip the edge punctuation, look the
    token up. The one-regex count must be the same number."""
    from cleaners.linemodel import _EDGE_PUNCT, stopwords, unspaced_stopwords

    line = " ".join(tokens)
    frame = lines_frame([line]).with_columns(n_words=pl.col("text").str.count_matches(r"\w+"))
    if frame.height == 0:
        return
    looked_up = (
        pl.col("text")
        .str.to_lowercase()
        .str.split(" ")
        .list.eval(pl.element().str.strip_chars(_EDGE_PUNCT).is_in(stopwords()))
        .list.sum()
        .cast(pl.Float64)
    ) + sum(line.count(c) for c in unspaced_stopwords())
    n_words = pl.col("n_words").cast(pl.Float64)
    per_word = pl.when(n_words > 0).then(1.0 / n_words).otherwise(0.0)
    expected = frame.select((looked_up * per_word).clip(0.0, 1.0).cast(pl.Float32)).item()
    assert _features([line])["stopwords"].item() == expected


def _menu_page() -> str:
    menu = ["World news", "Business and markets", "Sports results", "Culture desk"]
    article = [f"{PROSE[:-1]}, in paragraph {n} of the story." for n in range(8)]
    return "\n".join([*menu, *article, *menu, "Most read this week"])


def test_a_documents_own_threshold_replaces_the_models() -> None:
    """Text an extractor took from HTML is judged at its own threshold, in the same
    batch as text judged at the model's."""
    model = default_model()
    assert model is not None
    page = _menu_page()
    default, at_zero, given = classify_batch(
        [page] * 3, model=model, thresholds=[None, 0.0, model.threshold]
    )
    assert any(v.rule == "line_model" for v in default.verdicts)  # the menus go
    assert not any(v.rule == "line_model" for v in at_zero.verdicts)  # no score is below 0
    assert given == default


def test_clean_batch_judges_html_at_html_line_threshold() -> None:
    from cleaners import CleanConfig
    from cleaners.core import clean_batch, prepare_text

    config = CleanConfig(html_line_threshold=0.0)
    doc = prepare_text(_menu_page(), config)
    text, html = clean_batch([doc, doc], config, is_html=[False, True])
    assert any(r.rule == "line_model" for r in text.removed)
    assert not any(r.rule == "line_model" for r in html.removed)


def test_html_line_threshold_must_be_a_probability() -> None:
    from cleaners import CleanConfig
    from cleaners.config import ConfigError

    with pytest.raises(ConfigError, match="html_line_threshold"):
        CleanConfig(html_line_threshold=1.5)


def _context(texts: list[str], p: list[float]) -> pl.DataFrame:
    from cleaners.linemodel import context_features

    lines = lines_frame(texts).with_columns(
        n_words=pl.col("text").str.count_matches(r"\w+"), headings=pl.lit(0.0)
    )
    import numpy as np

    return context_features(lines, np.array(p, dtype=float))


def test_the_article_span_is_the_longest_high_scoring_run() -> None:
    lines = ["Home", "News", PROSE, PROSE, "Menu", PROSE, PROSE, "Share", "Footer"]
    p = [0.1, 0.2, 0.9, 0.8, 0.4, 0.9, 0.95, 0.1, 0.05]
    ctx = _context(["\n".join(lines)], p)
    assert ctx["in_span"].to_list() == [0, 0, 1, 1, 1, 1, 1, 0, 0]
    assert ctx["span_before"].to_list() == [1, 1, 0, 0, 0, 0, 0, 0, 0]
    assert ctx["p_prev1"].to_list()[:3] == pytest.approx([0.0, 0.1, 0.2], abs=1e-6)


def test_context_features_stay_inside_their_document() -> None:
    a = "\n".join(["Home", PROSE, "Menu", PROSE, "Share"])
    b = "\n".join(["Login", PROSE, "Contact"])
    pa, pb = [0.2, 0.9, 0.3, 0.8, 0.1], [0.3, 0.7, 0.2]
    together = _context([a, b], pa + pb)
    alone = pl.concat([_context([a], pa), _context([b], pb)])
    assert together.equals(alone)
