"""The shipped models, checked against the code they were trained with.

The line model's metadata records a fingerprint of the rules and feature definitions
it was trained with (``fingerprint``); a model of other ones is refused with an error
that says to retrain, not silently misread. The fingerprint hashes code of both the
rules (boilerplate.py) and the features (linemodel.py), and the rules use the model:
this module sits above both, so neither imports the other's checker.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import inspect
import json
import re
from collections.abc import Callable
from importlib import resources
from typing import Any

from . import boilerplate, linemodel, signals
from .linemodel import LineModel

MODEL_FILE = "data/line_model.txt"
CONTEXT_FILE = "data/line_context.txt"
META_FILE = "data/line_model.json"


def _code_without_docstrings(fn: Callable[..., Any]) -> str:
    """A function's code as the interpreter reads it: comments and docstrings, which
    change nothing a model sees, left out."""
    tree = ast.parse(inspect.cleandoc("\n" + inspect.getsource(fn)))
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:] or [ast.Pass()]
    return ast.unparse(tree)


def fingerprint() -> str:
    """What a line model depends on besides its own trees: the rule table, the phrase
    patterns, the stopwords and the definitions of both stages' features (their code
    without comments and docstrings). A model trained with other ones sees other
    inputs than it learned from."""
    rules = (
        boilerplate.signal_columns,
        boilerplate.rule_table.__wrapped__,
        boilerplate.rule_verdicts,
        boilerplate.model_view,
    )
    parts = [_code_without_docstrings(f) for f in (*rules, *linemodel.feature_definitions())]
    patterns = sorted(
        f"{name}={v.pattern}/{v.flags}"
        for name, v in vars(signals).items()
        if isinstance(v, re.Pattern)
    )
    constants = [
        signals.WORD_PATTERN,
        *linemodel.feature_constants(),
        repr({k: v for k, v in vars(boilerplate).items() if k.isupper() and isinstance(v, int)}),
        repr(sorted(boilerplate.INLINE_CATEGORIES)),
    ]
    return hashlib.sha256("\n".join(parts + patterns + constants).encode()).hexdigest()[:16]


def load_line_model(
    model_text: str, meta: dict[str, Any], context_text: str | None = None
) -> LineModel:
    """The line model of these files, refused when its metadata records another
    fingerprint than this code's."""
    if meta.get("fingerprint") != fingerprint():
        raise ValueError(
            "line model was trained with other rules or feature definitions (fingerprint "
            f"{meta.get('fingerprint')!r}, these are {fingerprint()!r}): retrain it with "
            "bench/train_line_model.py"
        )
    return LineModel.from_files(model_text, meta, context_text)


def shipped_model(model_file: str, meta_file: str) -> tuple[str, dict[str, Any]] | None:
    """A model file of the package and its metadata, or None when it has none."""
    data = resources.files("cleaners")
    try:
        text = data.joinpath(model_file).read_text("utf-8")
        meta = json.loads(data.joinpath(meta_file).read_text("utf-8"))
    except FileNotFoundError:
        return None
    return text, meta


@functools.lru_cache(maxsize=1)
def default_model() -> LineModel | None:
    """The shipped line model, or None when the package has none (rules alone then)."""
    if (shipped := shipped_model(MODEL_FILE, META_FILE)) is None:
        return None
    try:
        context = resources.files("cleaners").joinpath(CONTEXT_FILE).read_text("utf-8")
    except FileNotFoundError:
        context = None
    return load_line_model(*shipped, context)
