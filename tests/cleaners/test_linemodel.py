from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from cleaners.linemodel import (
    CONTEXT_FEATURES,
    FEATURES,
    TreeModel,
    default_model,
    line_features,
)


def test_shipped_model_loads_and_matches_its_features() -> None:
    model = default_model()
    assert model is not None and len(model.stage1.trees) > 0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-5, 50, allow_nan=False), min_size=len(FEATURES), max_size=len(FEATURES)))
def test_compiled_trees_equal_walking_them(x: list[float]) -> None:
    model = default_model()
    assert model is not None
    assert math.isclose(model.stage1.score(x), model.stage1.score_by_walking(x), rel_tol=1e-12)


N_STAGE2 = len(FEATURES) + len(CONTEXT_FEATURES)


def _two_stage_model(stage1_keep: float = 1.0) -> TreeModel:
    """Stage one: long lines are content. Stage two: a line is content when the lines
    around it are (it reads only ``p_near``)."""
    words = FEATURES.index("log_words")
    near = len(FEATURES) + CONTEXT_FEATURES.index("p_near")
    return TreeModel(
        {
            "features": list(FEATURES),
            "init": 0.0,
            "rate": 1.0,
            "threshold": 0.5,
            "trees": [[[words, 2.0, 1, 2, 0.0], [-1, 0, 0, 0, -3.0], [-1, 0, 0, 0, 3.0]]],
            "stage2": {
                "features": list(FEATURES + CONTEXT_FEATURES),
                "init": 0.0,
                "rate": 1.0,
                "trees": [[[near, 0.5, 1, 2, 0.0], [-1, 0, 0, 0, -3.0], [-1, 0, 0, 0, 3.0]]],
                "stage1_keep": stage1_keep,
            },
        }
    )


def test_stage_two_judges_a_line_by_its_neighbours() -> None:
    model = _two_stage_model()
    prose = "A long sentence of real article prose that ends right here."
    lines = [prose, "Short", prose, "Home", "About", "Short"]
    feats = line_features(lines, [False] * len(lines))
    assert model.stage1.score(feats[1]) == model.stage1.score(feats[5]) < 0.5
    probs = model.content_probs(feats, [True] * len(lines))
    assert probs[1] > 0.5 > probs[5]  # the same line: kept between prose, not among menus


def test_stage_two_cannot_overturn_a_confident_stage_one() -> None:
    prose = "A long sentence of real article prose that ends right here."
    lines = ["Home", "About", prose, "Login", "Share"]
    feats = line_features(lines, [False] * len(lines))
    scored = [True] * len(lines)
    assert _two_stage_model().content_probs(feats, scored)[2] < 0.5
    assert _two_stage_model(stage1_keep=0.9).content_probs(feats, scored)[2] > 0.9


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(-5, 50, allow_nan=False), min_size=N_STAGE2, max_size=N_STAGE2))
def test_compiled_stage_two_equals_walking_it(x: list[float]) -> None:
    model = _two_stage_model()
    assert model.stage2 is not None
    assert math.isclose(model.stage2.score(x), model.stage2.score_by_walking(x), rel_tol=1e-12)


def test_lines_the_rules_removed_are_not_scored() -> None:
    model = default_model()
    assert model is not None
    lines = ["Home", "A long sentence of real article prose that ends right here.", "Share"]
    feats = line_features(lines, [True, False, True])
    probs = model.content_probs(feats, [False, True, False])
    assert probs[0] == probs[2] == 0.0 and 0.0 < probs[1] < 1.0


def test_features_have_one_vector_per_line() -> None:
    lines = ["Home", "", "A long sentence of real article prose that ends here.", "Share"]
    feats = line_features(lines, [False] * 4)
    assert len(feats) == 4 and all(len(f) == len(FEATURES) for f in feats)
