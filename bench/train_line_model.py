"""Train the line classifier (LightGBM) on the devset; report it by cross-validation
grouped by site.

    uv run python bench/train_line_model.py [--devset PATH] [--folds 5] [--no-write]

Labels: a line of a page's ``noisy`` or ``noisy_recall`` text is content when, after
the same repair and normalization as cleaning, it is a line of the page's ``truth`` or
most of its word trigrams occur in the truth; every line of the ``truth`` text itself
is content (an article with lists, code and headings is still an article). Only lines
the rules keep are learned: the model decides after them. Lines weigh their words,
and every page weighs the same.

Printed, on pages of sites the fold's model never saw (folds grouped by domain): the
token F1 of the whole ``clean_batch`` pipeline on ``noisy`` and ``noisy_recall`` next
to leaving the text alone, and the share of tokens kept of already-clean ``truth``
texts. Then the shipped model is fit on all pages, written as LightGBM's own text
model, read back, and checked to predict exactly what the trained booster predicts.
Deterministic (fixed seeds, one thread). Prints figures; asserts nothing but the
file check.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import lightgbm
import numpy as np
import polars as pl
import trafilatura

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from boilerplate import DEFAULT_DEVSET, prf, read_devset  # noqa: E402

from cleaners import CleanConfig, CleanResult  # noqa: E402
from cleaners.boilerplate import later_rules, lines_frame, model_view, rule_verdicts  # noqa: E402
from cleaners.core import (  # noqa: E402
    Prepared,
    _is_same_headline,
    clean_batch,
    prepare_text,
    repair_and_normalize,
)
from cleaners.linemodel import FEATURES, META_FILE, MODEL_FILE, LineModel, feature_frame  # noqa: E402

FIELDS = ("noisy", "noisy_recall", "truth")
MODEL_PATH = ROOT / "cleaners" / MODEL_FILE
META_PATH = ROOT / "cleaners" / META_FILE
PARAMS = {
    "objective": "binary",
    "num_leaves": 15,
    "learning_rate": 0.1,
    "min_data_in_leaf": 40,
    "lambda_l2": 1.0,
    "seed": 0,
    "deterministic": True,
    "num_threads": 1,
    "verbose": -1,
}
ROUNDS = 100
THRESHOLD = 0.5


def _norm(s: str) -> str:
    return " ".join(s.lower().split())


def _trigrams(words: list[str]) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + 3]) for i in range(len(words) - 2)}


def folds_by_domain(domains: list[str], k: int) -> list[int]:
    """A fold per page: whole domains to a fold, by a stable hash of the domain."""
    return [int(hashlib.blake2b(d.encode(), digest_size=4).hexdigest(), 16) % k for d in domains]


def training_rows(pages: list[dict], config: CleanConfig) -> pl.DataFrame:
    """Features, label, weight and page of every line the model would judge."""
    texts, page_of, field_of = [], [], []
    for p, page in enumerate(pages):
        for field in FIELDS:
            texts.append(repair_and_normalize(page[field], config, []))
            page_of.append(p)
            field_of.append(field)
    view = model_view(later_rules(rule_verdicts(lines_frame(texts))))
    feats = feature_frame(view)
    truths = [repair_and_normalize(page["truth"], config, []) for page in pages]
    truth_lines = [{_norm(x) for x in t.split("\n") if x.strip()} for t in truths]
    truth_grams = [_trigrams(_norm(t).split()) for t in truths]
    # The headline is content: cleaning moves the first kept headline-shaped line into
    # ``title`` (the truth texts mostly leave it out).
    titles = []
    for page in pages:
        meta = trafilatura.extract_metadata(page["html"])
        titles.append(meta.title if meta is not None else None)
    labels = []
    for d, line in view.select("doc", "text").iter_rows():
        p = page_of[d]
        n = _norm(line)
        grams = _trigrams(n.split())
        # the headline is content: cleaning moves it into ``title``
        headline = bool(titles[p]) and _is_same_headline(line, titles[p])
        if field_of[d] == "truth" or n in truth_lines[p] or headline:
            labels.append(1)
        elif grams:  # most of its word trigrams are in the truth: content, reflowed
            labels.append(int(len(grams & truth_grams[p]) >= 0.5 * len(grams)))
        else:
            labels.append(0)
    rows = pl.concat(
        [
            view.select("doc", "kept", "n_words"),
            feats,
            pl.DataFrame({"label": labels, "page": [page_of[d] for d in view["doc"]]}),
        ],
        how="horizontal",
    ).filter(pl.col("kept"))
    # Token F1 is what counts: a line weighs its words; every text weighs the same.
    w = pl.col("n_words").clip(1).cast(pl.Float64)
    return rows.with_columns(weight=w / w.sum().over("doc"))


def fit(rows: pl.DataFrame, rounds: int = ROUNDS) -> lightgbm.Booster:
    w = rows["weight"].to_numpy()
    data = lightgbm.Dataset(
        rows.select(FEATURES).to_numpy(),
        label=rows["label"].to_numpy(),
        weight=w * len(w) / w.sum(),  # mean 1: the regularization keeps its scale
        feature_name=list(FEATURES),
        free_raw_data=False,
    )
    return lightgbm.train(PARAMS, data, num_boost_round=rounds)


def evaluate(
    pages: list[dict], prepared: dict[str, list], model: LineModel | None, config: CleanConfig
) -> dict:
    """Per field, per page: token (P, R, F1) of cleaning against the truth
    (``prepared[field]``: the pages' texts already repaired, in order)."""
    out: dict[str, list] = {}
    for field in FIELDS:
        results = clean_batch(prepared[field], config, line_model=model)
        out[field] = [
            prf(_output(r, field), page["truth"]) for r, page in zip(results, pages, strict=True)
        ]
    return out


def _output(result: CleanResult, field: str) -> str:
    """What cleaning kept of a text. Of an already-clean ``truth`` text, the headline
    moved to ``title`` is kept too; on the scraped texts the text is scored alone, as
    the truths mostly leave the headline out."""
    if field == "truth" and result.title:
        return f"{result.title}\n{result.text}"
    return result.text


def mean(xs: list[float]) -> float:
    return sum(xs) / len(xs) if xs else float("nan")


def cross_validate(
    pages: list[dict],
    rows: pl.DataFrame,
    folds: int = 5,
    rounds: int = ROUNDS,
    thresholds: list[float] | None = None,
    config: CleanConfig | None = None,
    html: list[Prepared | None] | None = None,
) -> tuple[dict, dict, dict]:
    """Per (field, threshold), the (P, R, F1) of each page cleaned by a model not
    trained on its site; per field, the identity's; per threshold, noisy F1 by fold.
    ``html``: the pages' HTML as ``prepare_html`` extracted it (None: no text), scored
    as field ``html`` through ``clean_batch`` as HTML (its own threshold, see config);
    its identity is trafilatura's text alone."""
    config = config or CleanConfig()
    thresholds = thresholds or [THRESHOLD]
    fold_of = folds_by_domain([p["domain"] for p in pages], folds)
    scores: dict = {(f, t): [] for f in FIELDS for t in thresholds}
    identity: dict[str, list] = {f: [] for f in FIELDS}
    per_fold: dict[float, list] = {t: [] for t in thresholds}
    # Repair is the same whatever the model: once per text, not per fold and threshold.
    repaired = {f: [prepare_text(p[f], config) for p in pages] for f in FIELDS}
    for k in range(folds):
        test = [i for i in range(len(pages)) if fold_of[i] == k]
        booster = fit(rows.filter(~pl.col("page").is_in(test)), rounds)
        test_pages = [pages[i] for i in test]
        prepared = {f: [repaired[f][i] for i in test] for f in FIELDS}
        for t in thresholds:
            got = evaluate(test_pages, prepared, LineModel(booster, t), config)
            for f in FIELDS:
                scores[f, t] += got[f]
            per_fold[t].append(mean([s[2] for s in got["noisy"]]))
        for f in FIELDS:
            identity[f] += [prf(p[f], p["truth"]) for p in test_pages]
        if html is not None:
            docs = [html[i] for i in test if html[i] is not None]
            results = iter(
                clean_batch(
                    docs,
                    config,
                    is_html=[True] * len(docs),
                    line_model=LineModel(booster, thresholds[0]),
                )
            )
            for i in test:
                r = next(results) if html[i] is not None else None
                text = r.text if isinstance(r, CleanResult) else ""
                scores.setdefault(("html", thresholds[0]), []).append(prf(text, pages[i]["truth"]))
                identity.setdefault("html", []).append(
                    prf(html[i].text if html[i] else "", pages[i]["truth"])
                )
        print(f"  fold {k + 1}/{folds}: {len(test)} pages", flush=True)
    return scores, identity, per_fold


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devset", type=Path, default=DEFAULT_DEVSET)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--rounds", type=int, default=ROUNDS)
    ap.add_argument(
        "--thresholds",
        type=float,
        nargs="+",
        default=[THRESHOLD],
        help="decision thresholds to report (the first is shipped)",
    )
    ap.add_argument("--leaves", type=int, default=PARAMS["num_leaves"])
    ap.add_argument("--rate", type=float, default=PARAMS["learning_rate"])
    args = ap.parse_args()
    PARAMS.update(num_leaves=args.leaves, learning_rate=args.rate)
    config = CleanConfig()
    pages = list(read_devset(args.devset, None))
    t0 = time.perf_counter()
    rows = training_rows(pages, config)
    print(
        f"features of {len(pages)} pages x {len(FIELDS)} texts in "
        f"{time.perf_counter() - t0:.0f} s: {rows.height} lines the rules keep"
    )
    thresholds = args.thresholds
    scores, identity, per_fold = cross_validate(pages, rows, args.folds, args.rounds, thresholds)
    print("cross-validated by site (held-out domains), mean per page:")
    for t in thresholds:
        print(f" threshold {t:g}:")
        for f in ("noisy", "noisy_recall"):
            p, r, f1 = (mean([s[j] for s in scores[f, t]]) for j in range(3))
            print(
                f"  {f:<13} cleaned   P {p:.4f}  R {r:.4f}  F1 {f1:.4f}"
                f"   identity F1 {mean([s[2] for s in identity[f]]):.4f}"
            )
        print(f"  noisy F1 by fold: {' '.join(f'{x:.4f}' for x in per_fold[t])}")
        kept = [s[1] for s in scores["truth", t]]
        print(
            f"  truth (already clean): tokens kept {mean(kept):.4f} per page; "
            f"{sum(x < 0.95 for x in kept)} of {len(kept)} pages lose more than 5 %"
        )
    if args.no_write:
        return
    booster = fit(rows, args.rounds)
    MODEL_PATH.write_text(booster.model_to_string(), encoding="utf-8")
    x = rows.select(FEATURES).to_numpy()
    reread = lightgbm.Booster(model_file=str(MODEL_PATH))
    diff = float(np.max(np.abs(reread.predict(x, num_threads=1) - booster.predict(x))))
    if diff > 1e-12:
        raise SystemExit(f"the written model predicts differently (max diff {diff})")
    meta = {
        "features": list(FEATURES),
        "threshold": thresholds[0],
        "lightgbm": lightgbm.__version__,
        "params": PARAMS,
        "rounds": args.rounds,
        "trained_on": "wcxb dev (709 pages): noisy, noisy_recall and truth texts",
        "cv_noisy_f1": round(mean([s[2] for s in scores["noisy", thresholds[0]]]), 4),
    }
    META_PATH.write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    print(
        f"wrote {MODEL_PATH.relative_to(ROOT)} ({MODEL_PATH.stat().st_size / 1024:.0f} KB); "
        f"read back: max prediction difference {diff:g}"
    )


if __name__ == "__main__":
    main()
