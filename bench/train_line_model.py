"""Train the line classifier on the devset; report it by cross-validation grouped by site.

    uv run python bench/train_line_model.py [--devset PATH] [--folds 5] [--no-write]

Labels: a scraped line (of ``noisy`` and ``noisy_recall``) is content when, after the
same repair and normalization as cleaning, it is a line of the page's ``truth`` or most
of its word trigrams occur in the truth. Only lines the rules keep are learned: the model decides
after them. The figure printed is the token F1 of the full ``clean_text`` pipeline on
pages of sites the fold's model never saw (GroupKFold by domain); the shipped model is
then fit on all pages. Deterministic (fixed seeds). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import trafilatura

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from boilerplate import DEFAULT_DEVSET, prf, read_devset  # noqa: E402

from cleaners import CleanConfig, clean_text  # noqa: E402
from cleaners.boilerplate import INLINE_CATEGORIES, classify_lines  # noqa: E402
from cleaners.core import _is_same_headline, repair_and_normalize  # noqa: E402
from cleaners.linemodel import (  # noqa: E402
    CONTEXT_FEATURES,
    FEATURES,
    TreeModel,
    context_features,
    line_features,
)

FIELDS = ("noisy", "noisy_recall")
MODEL_PATH = ROOT / "cleaners" / "data" / "line_model.json"
PARAMS = {
    "max_iter": 150,
    "max_depth": 4,
    "learning_rate": 0.1,
    "min_samples_leaf": 40,
    "l2_regularization": 1.0,
    "random_state": 0,
}
THRESHOLD = 0.5


def _norm(s: str) -> str:
    return " ".join(s.lower().split())


class PageRows:
    """One scraped text: features of its non-blank lines, which the rules kept, and the
    labels of those (1 content, 0 boilerplate)."""

    def __init__(self, feats: list, kept: list[bool], labels: list[int]) -> None:
        self.feats, self.kept, self.labels = feats, kept, labels

    def kept_feats(self) -> list:
        return [x for x, ok in zip(self.feats, self.kept, strict=True) if ok]


def page_rows(page: dict, field: str, config: CleanConfig) -> PageRows:
    text = repair_and_normalize(page[field], config, [])
    truth = repair_and_normalize(page["truth"], config, [])
    truth_lines = {_norm(x) for x in truth.split("\n") if x.strip()}
    truth_grams = _trigrams(_norm(truth).split())
    # The headline is labelled content: cleaning moves the first kept headline-shaped
    # line into ``title`` (the truth texts mostly leave it out).
    meta = trafilatura.extract_metadata(page["html"])
    title = meta.title if meta is not None else None
    # As cleaning does: inline lines (ad markers) are left out of the model's view.
    pairs = [
        (line, v)
        for line, v in zip(text.split("\n"), classify_lines(text.split("\n")), strict=True)
        if line.strip() and v.category not in INLINE_CATEGORIES
    ]
    lines = [line for line, _ in pairs]
    verdicts = [v for _, v in pairs]
    feats = line_features(lines, [not v.keep for v in verdicts])
    rows = PageRows([], [], [])
    for line, verdict, x in zip(lines, verdicts, feats, strict=True):
        if not line.strip():
            continue
        rows.feats.append(x)
        rows.kept.append(verdict.keep)
        if not verdict.keep:
            continue
        n = _norm(line)
        grams = _trigrams(n.split())
        if n in truth_lines or (title and _is_same_headline(line, title)):
            label = 1
        elif grams:  # most of its word trigrams are in the truth: content, reflowed
            label = int(len(grams & truth_grams) >= 0.5 * len(grams))
        else:
            label = 0
        rows.labels.append(label)
    return rows


def _trigrams(words: list[str]) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + 3]) for i in range(len(words) - 2)}


# Token F1 is what counts: a line weighs as many tokens as it has.
def weight(x: list) -> float:
    return max(1.0, float(np.expm1(x[FEATURES.index("log_words")])))


# The figure is F1 per page, averaged over pages: every page weighs the same in total,
# shared among its lines by their words.
def page_weights(xs: list) -> np.ndarray:
    w = np.array([weight(x) for x in xs], dtype=float)
    return w / w.sum() if len(w) else w


def export_trees(clf) -> dict:
    trees = []
    for (predictor,) in clf._predictors:
        nodes = predictor.nodes
        trees.append(
            [
                [
                    -1 if n["is_leaf"] else int(n["feature_idx"]),
                    float(n["num_threshold"]),
                    int(n["left"]),
                    int(n["right"]),
                    float(n["value"]),
                ]
                for n in nodes
            ]
        )
    return {"init": float(np.ravel(clf._baseline_prediction)[0]), "rate": 1.0, "trees": trees}


def export(stage1, stage2, threshold: float, stage1_keep: float = 1.0) -> dict:
    model = {
        "features": list(FEATURES),
        **export_trees(stage1),
        "threshold": threshold,
        "trained_on": "devset noisy + noisy_recall (wcxb dev, 709 pages)",
        "params": PARAMS,
    }
    if stage2 is not None:
        model["stage2"] = {
            "features": list(FEATURES + CONTEXT_FEATURES),
            **export_trees(stage2),
            "stage1_keep": stage1_keep,
        }
    return model


def main() -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import GroupKFold

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devset", type=Path, default=DEFAULT_DEVSET)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--no-write", action="store_true")
    # Stage two lifts noisy CV F1 from 0.9028 to 0.9079, but cleaning is then no longer
    # stable: each removal changes its neighbours' context and the next pass removes
    # more (tests/cleaners/test_properties.py). Not shipped until that is bounded.
    ap.add_argument("--stage2", action="store_true", help="add the context model (stacking)")
    ap.add_argument("--inner-folds", type=int, default=4)
    ap.add_argument(
        "--stage1-keep",
        type=float,
        nargs="*",
        default=[0.7],
        help="stage two may not drop a line stage one scores this high (the first is shipped)",
    )
    ap.add_argument(
        "--thresholds",
        type=float,
        nargs="*",
        default=[THRESHOLD],
        help="also report these decision thresholds (the first is shipped)",
    )
    args = ap.parse_args()
    config = CleanConfig()
    pages = list(read_devset(args.devset, None))
    domains = [p["domain"] for p in pages]
    t0 = time.perf_counter()
    rows = [[page_rows(p, f, config) for f in FIELDS] for p in pages]
    print(
        f"features for {len(pages)} pages in {time.perf_counter() - t0:.0f} s; "
        f"{sum(len(r.labels) for page in rows for r in page)} lines"
    )

    def fit_stage(X: list, y: list, w: list):
        w = np.concatenate(w)
        w *= len(w) / w.sum()  # mean 1: the regularization keeps its scale
        clf = HistGradientBoostingClassifier(**PARAMS)
        return clf.fit(np.array(X), np.array(y), sample_weight=w)

    def fit_stage1(page_ids: list[int]):
        picked = [r for i in page_ids for r in rows[i]]
        X = [x for r in picked for x in r.kept_feats()]
        y = [v for r in picked for v in r.labels]
        return fit_stage(X, y, [page_weights(r.kept_feats()) for r in picked])

    def stage2_rows(r: PageRows, stage1) -> list:
        probs = np.zeros(len(r.feats))
        kept = np.array(r.kept, dtype=bool)
        if kept.any():
            probs[kept] = stage1.predict_proba(np.array(r.kept_feats()))[:, 1]
        ctx = context_features(list(probs))
        return [[*x, *c] for x, c, ok in zip(r.feats, ctx, r.kept, strict=True) if ok]

    def fit(page_ids: list[int]):
        """Stage one on all ``page_ids``; stage two on stage one's out-of-fold
        probabilities (inner folds by site), so it learns from honest inputs."""
        stage1 = fit_stage1(page_ids)
        if not args.stage2:
            return stage1, None
        X2, y2, w2 = [], [], []
        inner = GroupKFold(n_splits=args.inner_folds)
        groups = [domains[i] for i in page_ids]
        for tr, te in inner.split(page_ids, groups=groups):
            inner_model = fit_stage1([page_ids[j] for j in tr])
            for j in te:
                for r in rows[page_ids[j]]:
                    X2.extend(stage2_rows(r, inner_model))
                    y2.extend(r.labels)
                    w2.append(page_weights(r.kept_feats()))
        return stage1, fit_stage(X2, y2, w2)

    variants = [(t, v) for t in args.thresholds for v in args.stage1_keep]
    scores = {(f, tv): [] for f in FIELDS for tv in variants}
    rules_only = {f: [] for f in FIELDS}
    no_model = CleanConfig(use_line_model=False)
    for k, (train, test) in enumerate(GroupKFold(n_splits=args.folds).split(pages, groups=domains)):
        stages = fit(list(train))
        models = {
            (t, v): TreeModel(export(*stages, t, v))
            for t in args.thresholds
            for v in args.stage1_keep
        }
        for i in test:
            for f in FIELDS:
                for t, model in models.items():
                    text = clean_text(pages[i][f], config, line_model=model).text
                    scores[f, t].append(prf(text, pages[i]["truth"]))
                rules_only[f].append(prf(clean_text(pages[i][f], no_model).text, pages[i]["truth"]))
        print(f"  fold {k + 1}/{args.folds} done")
    print("cross-validated by site (held-out domains), mean per page:")
    for f in FIELDS:
        runs = [("rules only", rules_only[f])]
        runs += [(f"rules + model@{t:g} keep@{v:g}", scores[f, (t, v)]) for t, v in variants]
        for name, s in runs:
            p, r, f1 = (sum(v[j] for v in s) / len(s) for j in range(3))
            print(f"  {f:<13} {name:<28} P {p:.4f}  R {r:.4f}  F1 {f1:.4f}")
    if not args.no_write:
        model = export(*fit(list(range(len(pages)))), args.thresholds[0], args.stage1_keep[0])
        MODEL_PATH.write_text(json.dumps(model, separators=(",", ":")) + "\n", encoding="utf-8")
        print(
            f"wrote {MODEL_PATH.relative_to(ROOT)} ({MODEL_PATH.stat().st_size / 1024:.0f} KB,"
            f" {len(model['trees'])} + {len(model.get('stage2', {}).get('trees', []))} trees)"
        )


if __name__ == "__main__":
    main()
