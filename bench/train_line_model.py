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
from cleaners.boilerplate import classify_lines  # noqa: E402
from cleaners.core import _is_same_headline, repair_and_normalize  # noqa: E402
from cleaners.linemodel import FEATURES, TreeModel, line_features  # noqa: E402

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


def page_rows(page: dict, field: str, config: CleanConfig) -> tuple[list, list]:
    text = repair_and_normalize(page[field], config, [])
    truth = repair_and_normalize(page["truth"], config, [])
    truth_lines = {_norm(x) for x in truth.split("\n") if x.strip()}
    truth_grams = _trigrams(_norm(truth).split())
    # The headline is labelled content: cleaning moves the first kept headline-shaped
    # line into ``title`` (the truth texts mostly leave it out).
    meta = trafilatura.extract_metadata(page["html"])
    title = meta.title if meta is not None else None
    lines = text.split("\n")
    verdicts = classify_lines(lines)
    feats = line_features(lines, [not v.keep for v in verdicts])
    xs, ys = [], []
    for line, verdict, x in zip(lines, verdicts, feats, strict=True):
        n = _norm(line)
        if not n or not verdict.keep:
            continue
        xs.append(x)
        grams = _trigrams(n.split())
        if n in truth_lines or (title and _is_same_headline(line, title)):
            label = 1
        elif grams:  # most of its word trigrams are in the truth: content, reflowed
            label = int(len(grams & truth_grams) >= 0.5 * len(grams))
        else:
            label = 0
        ys.append(label)
    return xs, ys


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


def export(clf, threshold: float) -> dict:
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
    return {
        "features": list(FEATURES),
        "init": float(np.ravel(clf._baseline_prediction)[0]),
        "rate": 1.0,
        "threshold": threshold,
        "trees": trees,
        "trained_on": "devset noisy + noisy_recall (wcxb dev, 709 pages)",
        "params": PARAMS,
    }


def main() -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import GroupKFold

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devset", type=Path, default=DEFAULT_DEVSET)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--no-write", action="store_true")
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
    t0 = time.perf_counter()
    rows: list[tuple[list, list]] = [page_rows(p, f, config) for p in pages for f in FIELDS]
    print(
        f"features for {len(pages)} pages in {time.perf_counter() - t0:.0f} s; "
        f"{sum(len(y) for _, y in rows)} lines"
    )

    def fit(page_ids: list[int]):
        X = np.array(
            [x for i in page_ids for f in range(len(FIELDS)) for x in rows[i * len(FIELDS) + f][0]]
        )
        y = np.array(
            [v for i in page_ids for f in range(len(FIELDS)) for v in rows[i * len(FIELDS) + f][1]]
        )
        w = np.concatenate(
            [
                page_weights(rows[i * len(FIELDS) + f][0])
                for i in page_ids
                for f in range(len(FIELDS))
            ]
        )
        w *= len(w) / w.sum()  # mean 1: the regularization keeps its scale
        return HistGradientBoostingClassifier(**PARAMS).fit(X, y, sample_weight=w)

    domains = [p["domain"] for p in pages]
    scores = {(f, t): [] for f in FIELDS for t in args.thresholds}
    rules_only = {f: [] for f in FIELDS}
    no_model = CleanConfig(use_line_model=False)
    for k, (train, test) in enumerate(GroupKFold(n_splits=args.folds).split(pages, groups=domains)):
        clf = fit(list(train))
        models = {t: TreeModel(export(clf, t)) for t in args.thresholds}
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
        runs += [(f"rules + model@{t:g}", scores[f, t]) for t in args.thresholds]
        for name, s in runs:
            p, r, f1 = (sum(v[j] for v in s) / len(s) for j in range(3))
            print(f"  {f:<13} {name:<20} P {p:.4f}  R {r:.4f}  F1 {f1:.4f}")
    if not args.no_write:
        model = export(fit(list(range(len(pages)))), args.thresholds[0])
        MODEL_PATH.write_text(json.dumps(model, separators=(",", ":")) + "\n", encoding="utf-8")
        print(
            f"wrote {MODEL_PATH.relative_to(ROOT)} ({MODEL_PATH.stat().st_size / 1024:.0f} KB,"
            f" {len(model['trees'])} trees)"
        )


if __name__ == "__main__":
    main()
