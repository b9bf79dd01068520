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
from collections.abc import Iterator
from pathlib import Path

import lightgbm
import numpy as np
import polars as pl
import trafilatura

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from boilerplate import (  # noqa: E402
    DEFAULT_DEVSET,
    prf,
    read_pages,
    words_of,
)

from cleaners import CleanConfig, CleanResult  # noqa: E402
from cleaners.boilerplate import later_rules, lines_frame, model_view, rule_verdicts  # noqa: E402
from cleaners.core import (  # noqa: E402
    Prepared,
    clean_batch,
    is_same_headline,
    prepare_text,
    repair_and_normalize,
)
from cleaners.linemodel import (  # noqa: E402
    FEATURES,
    STAGE2_FEATURES,
    LineModel,
    context_features,
    feature_frame,
)
from cleaners.models import CONTEXT_FILE, META_FILE, MODEL_FILE, fingerprint  # noqa: E402

FIELDS = ("noisy", "noisy_recall", "truth")
MODEL_PATH = ROOT / "cleaners" / MODEL_FILE
CONTEXT_PATH = ROOT / "cleaners" / CONTEXT_FILE
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
CONTEXT_ROUNDS = 60
# Inner folds of the nested split that gives the second stage its first-stage scores.
INNER_FOLDS = 3
THRESHOLD = 0.5


def _norm(s: str) -> str:
    """Lowercased words (a character of an unspaced script is one), space-joined."""
    return " ".join(words_of(s.lower()))


def _trigrams(words: list[str]) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + 3]) for i in range(len(words) - 2)}


def folds_by_domain(domains: list[str], k: int, salt: str = "") -> list[int]:
    """A fold per page: whole domains to a fold, by a stable hash of the domain (and
    ``salt``: the inner folds of a nested split are drawn anew)."""
    return [
        int(hashlib.blake2b((salt + d).encode(), digest_size=4).hexdigest(), 16) % k
        for d in domains
    ]


def held_out(pages: list[dict], folds: int) -> list[list[int]]:
    """Per fold, the pages it holds out (indices into ``pages``): whole sites, as
    ``folds_by_domain`` draws them."""
    fold_of = folds_by_domain([p["domain"] for p in pages], folds)
    return [[i for i, f in enumerate(fold_of) if f == k] for k in range(folds)]


def fold_models(
    pages: list[dict],
    rows: pl.DataFrame,
    folds: int,
    rounds: int = ROUNDS,
    context_rounds: int = CONTEXT_ROUNDS,
) -> Iterator[tuple[list[int], lightgbm.Booster, lightgbm.Booster]]:
    """Per fold, its held-out pages and the line model's two stages (``fit_both``)
    fitted on the other folds' ``rows``: a model that never saw the held-out sites."""
    domains = [p["domain"] for p in pages]
    for test in held_out(pages, folds):
        train = rows.filter(~pl.col("page").is_in(test))
        yield test, *fit_both(train, domains, INNER_FOLDS, rounds, context_rounds)


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
        headline = bool(titles[p]) and is_same_headline(line, titles[p])
        if field_of[d] == "truth" or n in truth_lines[p] or headline:
            labels.append(1)
        elif grams:  # most of its word trigrams are in the truth: content, reflowed
            labels.append(int(len(grams & truth_grams[p]) >= 0.5 * len(grams)))
        else:
            labels.append(0)
    rows = pl.concat(
        [
            view.select("doc", "kept", "n_words", "headings"),
            feats,
            pl.DataFrame({"label": labels, "page": [page_of[d] for d in view["doc"]]}),
        ],
        how="horizontal",
    ).filter(pl.col("kept"))
    # Token F1 is what counts: a line weighs its words; every text weighs the same.
    w = pl.col("n_words").clip(1).cast(pl.Float64)
    return rows.with_columns(weight=w / w.sum().over("doc"))


def fit(
    rows: pl.DataFrame,
    rounds: int = ROUNDS,
    x: np.ndarray | None = None,
    features: tuple[str, ...] = FEATURES,
) -> lightgbm.Booster:
    w = rows["weight"].to_numpy()
    data = lightgbm.Dataset(
        rows.select(features).to_numpy() if x is None else x,
        label=rows["label"].to_numpy(),
        weight=w * len(w) / w.sum(),  # mean 1: the regularization keeps its scale
        feature_name=list(features),
        free_raw_data=False,
    )
    return lightgbm.train(PARAMS, data, num_boost_round=rounds)


def stage2_matrix(rows: pl.DataFrame, p: np.ndarray) -> np.ndarray:
    """The second stage's inputs: the first stage's features and the page context of
    its scores ``p`` (rows in document order, as the model sees them)."""
    ctx = context_features(rows.select("doc", "n_words", "headings"), p)
    return rows.select(FEATURES).cast(pl.Float32).hstack(ctx).to_numpy()


def out_of_fold_scores(
    rows: pl.DataFrame, domains: list[str], folds: int, rounds: int
) -> np.ndarray:
    """First-stage scores of every row by a model not trained on its page's domain
    (inner folds grouped by domain): what the second stage learns from is what it
    will be given on pages the first stage never saw."""
    fold_of = folds_by_domain(domains, folds, salt="inner:")
    page_fold = np.array(fold_of)[rows["page"].to_numpy()]
    p = np.zeros(rows.height)
    for k in range(folds):
        held = page_fold == k
        if not held.any():
            continue
        booster = fit(rows.filter(pl.Series(~held)), rounds)
        p[held] = booster.predict(rows.filter(pl.Series(held)).select(FEATURES).to_numpy())
    return p


def fit_both(
    rows: pl.DataFrame, domains: list[str], folds: int, rounds: int, context_rounds: int
) -> tuple[lightgbm.Booster, lightgbm.Booster]:
    """The first stage on all ``rows``; the second on their out-of-fold first-stage
    scores (``domains``: of every page, indexed by ``rows["page"]``)."""
    first = fit(rows, rounds)
    p = out_of_fold_scores(rows, domains, folds, rounds)
    second = fit(rows, context_rounds, stage2_matrix(rows, p), STAGE2_FEATURES)
    return first, second


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


VARIANTS = ("first stage", "page context")


def cross_validate(
    pages: list[dict],
    rows: pl.DataFrame,
    folds: int = 5,
    rounds: int = ROUNDS,
    context_rounds: int = CONTEXT_ROUNDS,
    threshold: float = THRESHOLD,
    config: CleanConfig | None = None,
    html: list[Prepared | None] | None = None,
) -> tuple[dict, dict, dict]:
    """Per (field, variant), the (P, R, F1) of each page (in ``pages`` order) cleaned
    by a model not trained on its site; per field, the identity's; per variant, noisy
    F1 by fold. Variants: the first stage alone, and with the page-context second
    stage (trained on the fold's training pages' nested out-of-fold scores).
    ``html``: the pages' HTML as ``prepare_html`` extracted it (None: no text), scored
    as field ``html`` through ``clean_batch`` as HTML with the page-context model; its
    identity is trafilatura's text alone."""
    config = config or CleanConfig()
    scores: dict = {(f, v): [None] * len(pages) for f in (*FIELDS, "html") for v in VARIANTS}
    identity: dict[str, list] = {f: [None] * len(pages) for f in (*FIELDS, "html")}
    per_fold: dict[str, list] = {v: [] for v in VARIANTS}
    # Repair is the same whatever the model: once per text, not per fold and variant.
    repaired = {f: [prepare_text(p[f], config) for p in pages] for f in FIELDS}
    for k, (test, first, second) in enumerate(
        fold_models(pages, rows, folds, rounds, context_rounds)
    ):
        models = {
            "first stage": LineModel(first, threshold),
            "page context": LineModel(first, threshold, context=second),
        }
        test_pages = [pages[i] for i in test]
        prepared = {f: [repaired[f][i] for i in test] for f in FIELDS}
        for v, model in models.items():
            got = evaluate(test_pages, prepared, model, config)
            for f in FIELDS:
                for i, s in zip(test, got[f], strict=True):
                    scores[f, v][i] = s
            # the fold's WCXB pages: the floor is on them
            per_fold[v].append(
                mean([s[2] for i, s in zip(test, got["noisy"], strict=True) if _is_wcxb(pages[i])])
            )
        for f in FIELDS:
            for i in test:
                identity[f][i] = prf(pages[i][f], pages[i]["truth"])
        if html is not None:
            docs = [html[i] for i in test if html[i] is not None]
            for v, model in models.items():
                results = iter(
                    clean_batch(docs, config, is_html=[True] * len(docs), line_model=model)
                )
                for i in test:
                    r = next(results) if html[i] is not None else None
                    text = r.text if isinstance(r, CleanResult) else ""
                    scores["html", v][i] = prf(text, pages[i]["truth"])
            for i in test:
                identity["html"][i] = prf(html[i].text if html[i] else "", pages[i]["truth"])
        print(f"  fold {k + 1}/{folds}: {len(test)} pages", flush=True)
    return scores, identity, per_fold


def _is_wcxb(page: dict) -> bool:
    return page["id"].startswith("wx-")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devset", type=Path, default=DEFAULT_DEVSET)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--no-cv", action="store_true", help="fit and write only")
    ap.add_argument("--rounds", type=int, default=ROUNDS)
    ap.add_argument("--context-rounds", type=int, default=CONTEXT_ROUNDS)
    ap.add_argument("--leaves", type=int, default=PARAMS["num_leaves"])
    ap.add_argument("--rate", type=float, default=PARAMS["learning_rate"])
    args = ap.parse_args()
    PARAMS.update(num_leaves=args.leaves, learning_rate=args.rate)
    config = CleanConfig()
    pages = read_pages(args.devset)
    domains = [p["domain"] for p in pages]
    t0 = time.perf_counter()
    rows = training_rows(pages, config)
    print(
        f"features of {len(pages)} pages x {len(FIELDS)} texts in "
        f"{time.perf_counter() - t0:.0f} s: {rows.height} lines the rules keep"
    )
    cv_f1 = None
    if not args.no_cv:
        scores, identity, per_fold = cross_validate(
            pages, rows, args.folds, args.rounds, args.context_rounds
        )
        print("cross-validated by site (held-out domains), mean per page:")
        wx = [i for i, p in enumerate(pages) if _is_wcxb(p)]
        for v in VARIANTS:
            print(f" {v}:")
            for f in ("noisy", "noisy_recall"):
                p, r, f1 = (mean([scores[f, v][i][j] for i in wx]) for j in range(3))
                ident = mean([identity[f][i][2] for i in wx])
                print(f"  WCXB {f:<13} P {p:.4f}  R {r:.4f}  F1 {f1:.4f}   identity F1 {ident:.4f}")
            print(f"  WCXB noisy F1 by fold: {' '.join(f'{x:.4f}' for x in per_fold[v])}")
            kept = [scores["truth", v][i][1] for i in wx]
            print(
                f"  WCXB truth (already clean): tokens kept {mean(kept):.4f} per page; "
                f"{sum(x < 0.95 for x in kept)} of {len(kept)} pages lose more than 5 %"
            )
        cv_f1 = round(mean([scores["noisy", VARIANTS[-1]][i][2] for i in wx]), 4)
    if args.no_write:
        return
    first, second = fit_both(rows, domains, INNER_FOLDS, args.rounds, args.context_rounds)
    x = rows.select(FEATURES).to_numpy()
    for booster, path in ((first, MODEL_PATH), (second, CONTEXT_PATH)):
        path.write_text(booster.model_to_string(), encoding="utf-8")
    reread = LineModel(
        lightgbm.Booster(model_file=str(MODEL_PATH)),
        THRESHOLD,
        context=lightgbm.Booster(model_file=str(CONTEXT_PATH)),
    )
    lines = rows.select("doc", "n_words", "headings")
    feats = rows.select(FEATURES).cast(pl.Float32)
    trained = LineModel(first, THRESHOLD, context=second)
    diff = float(
        np.max(np.abs(reread.content_probs(feats, lines) - trained.content_probs(feats, lines)))
    )
    del x
    if diff > 1e-12:
        raise SystemExit(f"the written model predicts differently (max diff {diff})")
    n_wx = sum(_is_wcxb(p) for p in pages)
    meta = {
        "features": list(FEATURES),
        "context_features": list(STAGE2_FEATURES),
        "fingerprint": fingerprint(),
        "threshold": THRESHOLD,
        "lightgbm": lightgbm.__version__,
        "params": PARAMS,
        "rounds": args.rounds,
        "context_rounds": args.context_rounds,
        "trained_on": (
            f"wcxb dev ({n_wx} pages) and multilingual-dev ({len(pages) - n_wx} pages): "
            "noisy, noisy_recall and truth texts; the second stage on out-of-fold "
            f"first-stage scores ({INNER_FOLDS} folds grouped by domain)"
        ),
        "cv_noisy_f1_wcxb": cv_f1,
    }
    META_PATH.write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    size = sum(p.stat().st_size for p in (MODEL_PATH, CONTEXT_PATH)) / 1024
    print(
        f"wrote {MODEL_PATH.relative_to(ROOT)} and {CONTEXT_PATH.name} ({size:.0f} KB); "
        f"read back: max prediction difference {diff:g}"
    )


if __name__ == "__main__":
    main()
