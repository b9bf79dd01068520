"""The shipped models load, and a line model of other rules or features is refused."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest

from cleaners import linemodel, signals
from cleaners.linemodel import FEATURES, STAGE2_FEATURES
from cleaners.models import (
    CONTEXT_FILE,
    META_FILE,
    MODEL_FILE,
    default_model,
    fingerprint,
    load_line_model,
)


def _shipped_files() -> tuple[str, dict, str]:
    data = resources.files("cleaners")
    return (
        data.joinpath(MODEL_FILE).read_text("utf-8"),
        json.loads(data.joinpath(META_FILE).read_text("utf-8")),
        data.joinpath(CONTEXT_FILE).read_text("utf-8"),
    )


def test_shipped_model_is_lightgbm_text_with_our_features() -> None:
    model = default_model()
    assert model is not None
    assert tuple(model.booster.feature_name()) == FEATURES
    text = resources.files("cleaners").joinpath(MODEL_FILE).read_text("utf-8")
    assert text.startswith("tree\n")  # LightGBM's own format, not generated code
    assert resources.files("cleaners").joinpath(META_FILE).is_file()


def test_shipped_model_has_a_page_context_stage() -> None:
    model = default_model()
    assert model is not None and model.context is not None
    assert tuple(model.context.feature_name()) == STAGE2_FEATURES


def test_a_model_of_other_rules_is_refused() -> None:
    """The model file records the fingerprint of the rule table and feature
    definitions it was trained with; another one is refused, with what to do."""
    text, meta, context = _shipped_files()
    load_line_model(text, meta, context)  # the shipped files agree
    with pytest.raises(ValueError, match=r"other rules or feature definitions.*retrain"):
        load_line_model(text, {**meta, "fingerprint": "0" * 16}, context)


def test_editing_a_phrase_rule_changes_the_fingerprint(monkeypatch) -> None:
    text, meta, context = _shipped_files()
    before = fingerprint()
    monkeypatch.setattr(signals, "COOKIE_RE", re.compile(signals.COOKIE_RE.pattern + "|cookies?"))
    assert fingerprint() != before
    with pytest.raises(ValueError, match="fingerprint"):
        load_line_model(text, meta, context)


def test_changing_a_feature_window_changes_the_fingerprint(monkeypatch) -> None:
    """The features' constants count as much as the rules': a model trained on other
    windows reads other inputs."""
    before = fingerprint()
    monkeypatch.setattr(linemodel, "WINDOW", linemodel.WINDOW + 1)
    assert fingerprint() != before
