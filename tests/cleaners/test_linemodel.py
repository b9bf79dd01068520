from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from cleaners.linemodel import FEATURES, default_model, line_features


def test_shipped_model_loads_and_matches_its_features() -> None:
    model = default_model()
    assert model is not None and len(model.trees) > 0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-5, 50, allow_nan=False), min_size=len(FEATURES), max_size=len(FEATURES)))
def test_compiled_trees_equal_walking_them(x: list[float]) -> None:
    model = default_model()
    assert model is not None
    assert math.isclose(model.score(x), model.score_by_walking(x), rel_tol=1e-12)


def test_features_have_one_vector_per_line() -> None:
    lines = ["Home", "", "A long sentence of real article prose that ends here.", "Share"]
    feats = line_features(lines, [False] * 4)
    assert len(feats) == 4 and all(len(f) == len(FEATURES) for f in feats)
