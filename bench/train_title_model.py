"""Train the title picker (LightGBM) on the devset's scraped pages; report it by
cross-validation grouped by site.

    uv run python bench/train_title_model.py [--devset PATH] [--no-write] [--cache FILE]

Candidates and features: ``cleaners/titles.py``. A candidate is labelled a headline
when it is the same headline (``core.is_same_headline``) as the page's ``<h1>`` or
``og:title`` (``bench/titles.references``). Pages: the WCXB dev pages and the
multilingual dev pages, their ``noisy`` text. What cleaning kept of each page comes
from a line model that never saw its site (the line model is trained on these same
pages: its verdicts on them would be better than on any new page), fitted per fold
as ``bench/train_line_model.py`` fits it (``--cache``: keep those verdicts in a file
and reuse them).

Printed, on pages of sites the fold's models never saw (5 folds grouped by domain):
precision (right titles among titles given; a wrong title is worse than none) and
recall (right titles among pages with a reference) per fold and overall, the WCXB
pages and the multilingual ones by language; the threshold of each fold is chosen on
its training pages alone (inner folds grouped by domain) as the lowest whose
precision reaches TARGET_PRECISION. Then the shipped model is fit on all pages, its
threshold chosen the same way on all pages' out-of-fold scores, written as
LightGBM's own text model, read back and checked. Then a check, never fitted on:
trafilatura's evaluation pages, with the shipped line and title models. Deterministic
(fixed seeds, one thread).
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import lightgbm
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from boilerplate import DEFAULT_DEVSET, EVAL_NAME, read_devset, read_pages  # noqa: E402
from titles import references  # noqa: E402
from train_line_model import (  # noqa: E402
    THRESHOLD,
    fold_models,
    folds_by_domain,
    training_rows,
)

from cleaners import CleanConfig  # noqa: E402
from cleaners.boilerplate import Classified  # noqa: E402
from cleaners.core import (  # noqa: E402
    classify_documents,
    clean_batch,
    is_same_headline,
    looks_like_title,
    prepare_text,
)
from cleaners.linemodel import LineModel  # noqa: E402
from cleaners.titles import (  # noqa: E402
    FEATURES,
    META_FILE,
    MODEL_FILE,
    WINDOW_AFTER,
    WINDOW_BEFORE,
    TitleModel,
    candidate_features,
    title_candidates,
)

MODEL_PATH = ROOT / "cleaners" / MODEL_FILE
META_PATH = ROOT / "cleaners" / META_FILE
PARAMS = {
    "objective": "binary",
    "num_leaves": 7,
    "learning_rate": 0.05,
    "min_data_in_leaf": 20,
    "lambda_l2": 1.0,
    "seed": 0,
    "deterministic": True,
    "num_threads": 1,
    "verbose": -1,
}
ROUNDS_TITLE = 200
# The truth texts' candidates weigh less than the scraped pages' (they are easy, and
# the titles are chosen on the scraped pages).
TRUTH_WEIGHT = 0.1
FOLDS = 5
# Thresholds are chosen for this precision on pages the model did not see; above the
# 0.9 the picker is held to, for the margin a threshold chosen on other pages needs.
TARGET_PRECISION = 0.93
# A text whose first kept line is its first line (the article starts it, as in a
# plain-text corpus) has its own threshold, for this precision on such documents of
# every kind: scraped pages, true texts under their headline and without one.
TOP_TARGET_PRECISION = 0.9


def documents(page: dict, refs: list[str]) -> list[str]:
    """The texts learned from a page, in FIELDS order: what a naive scraper left of
    it; its true text under its headline, as a plain-text corpus holds an article;
    and its true text alone (the truths mostly leave the headline out), where no line
    is the title."""
    headed = f"{refs[0]}\n{page['truth']}" if refs else page["truth"]
    return [page["noisy"], headed, page["truth"]]


FIELDS = ("noisy", "headed truth", "truth")


def line_verdicts(
    pages: list[dict], refs: list[list[str]], config: CleanConfig, cache: Path | None
) -> tuple[list[str], list[Classified]]:
    """Every document's text (``documents``, field by field: document ``f * len(pages)
    + p`` is field ``f`` of page ``p``) and what cleaning kept of it, by a line model
    trained on the other folds' sites."""
    if cache is not None and cache.exists():
        return pickle.loads(cache.read_bytes())
    t0 = time.perf_counter()
    rows = training_rows(pages, config)
    per_page = [documents(p, r) for p, r in zip(pages, refs, strict=True)]
    texts = [prepare_text(per_page[p][f], config).text for f in range(3) for p in range(len(pages))]
    verdicts: list = [None] * len(texts)
    for k, (test, first, second) in enumerate(fold_models(pages, rows, FOLDS)):
        model = LineModel(first, THRESHOLD, context=second)
        docs = [f * len(pages) + p for f in range(3) for p in test]
        got = classify_documents([texts[d] for d in docs], config, model=model)
        for d, c in zip(docs, got, strict=True):
            verdicts[d] = c
        print(f"  line model, fold {k + 1}/{FOLDS}: {time.perf_counter() - t0:.0f} s", flush=True)
    out = (texts, verdicts)
    if cache is not None:
        cache.write_bytes(pickle.dumps(out))
    return out


def candidate_rows(
    texts: list[str], verdicts: list, refs: list[list[str]], config: CleanConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[tuple[int, int]]]:
    """Features, labels, document of every candidate, and (document, line index) of
    each (``refs``: per page; document ``d`` is of page ``d % len(refs)``)."""
    x, y, doc, where = [], [], [], []
    for d, (text, c) in enumerate(zip(texts, verdicts, strict=True)):
        if len(c.kept) < 2:
            continue
        lines = text.split("\n")
        cands = title_candidates(lines, c, config.title_max_words)
        x += candidate_features(lines, c, cands)
        page_refs = refs[d % len(refs)]
        y += [int(any(is_same_headline(lines[i], r) for r in page_refs)) for i in cands]
        doc += [d] * len(cands)
        where += [(d, i) for i in cands]
    return np.asarray(x, dtype=np.float64), np.asarray(y), np.asarray(doc), where


def fit(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> lightgbm.Booster:
    data = lightgbm.Dataset(x, label=y, weight=w, feature_name=list(FEATURES), free_raw_data=False)
    return lightgbm.train(PARAMS, data, num_boost_round=ROUNDS_TITLE)


def best_per_page(scores: np.ndarray, page: np.ndarray, mask: np.ndarray) -> dict[int, int]:
    """Per page, the row of its best-scored candidate (rows where ``mask``)."""
    best: dict[int, int] = {}
    for r in np.flatnonzero(mask):
        p = int(page[r])
        if p not in best or scores[r] > scores[best[p]]:
            best[p] = r
    return best


def choose_threshold(
    scores: np.ndarray, y: np.ndarray, page: np.ndarray, mask: np.ndarray, target: float
) -> float:
    """The lowest threshold at which the pages' best candidates are right at
    ``target`` precision or better (counting every threshold above it too: the
    precision of the titles given from there up never falls below the target)."""
    best = best_per_page(scores, page, mask)
    picks = sorted(((scores[r], y[r]) for r in best.values()), reverse=True)
    chosen = 1.0
    right = 0
    for n, (s, ok) in enumerate(picks, 1):
        right += ok
        if right / n >= target:
            chosen = float(s)
    return chosen


def out_of_fold(
    x: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    page: np.ndarray,
    fold_of_page: np.ndarray,
    k: int,
) -> np.ndarray:
    """Each row's score by a model trained on the other ``k`` folds' pages."""
    fold = fold_of_page[page]
    out = np.zeros(len(y))
    for f in range(k):
        held = fold == f
        if held.any() and (~held).any():
            out[held] = fit(x[~held], y[~held], w[~held]).predict(x[held], num_threads=1)
    return out


def score_pages(
    picked: dict[int, str | None], refs: list[list[str]], pages_of: Iterable[int]
) -> tuple[int, int, int, float, float]:
    """(given, right, with a reference, precision, recall) over ``pages_of``."""
    given = right = with_ref = 0
    for p in pages_of:
        with_ref += bool(refs[p])
        title = picked.get(p)
        if title:
            given += 1
            right += any(is_same_headline(title, r) for r in refs[p])
    return given, right, with_ref, right / max(1, given), right / max(1, with_ref)


def line(name: str, s: tuple) -> str:
    given, right, with_ref, prec, rec = s
    return f"{name}: {given} given, {right} right of {with_ref}: P {prec:.3f} R {rec:.3f}"


def old_rule(texts: list[str], verdicts: list, config: CleanConfig) -> dict[int, str | None]:
    out = {}
    for p, (text, c) in enumerate(zip(texts, verdicts, strict=True)):
        if len(c.kept) >= 2:
            first = text.split("\n")[c.kept[0]]
            if looks_like_title(first, config.title_max_words):
                out[p] = first.strip()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devset", type=Path, default=DEFAULT_DEVSET)
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--cache", type=Path, default=None, help="line verdicts, reused")
    ap.add_argument("--target", type=float, default=TARGET_PRECISION)
    ap.add_argument("--top-target", type=float, default=TOP_TARGET_PRECISION)
    ap.add_argument("--truth-weight", type=float, default=TRUTH_WEIGHT)
    args = ap.parse_args()
    config = CleanConfig()
    pages = read_pages(args.devset)
    n = len(pages)
    refs = [references(p["html"]) for p in pages]
    texts, verdicts = line_verdicts(pages, refs, config, args.cache)
    x, y, doc, where = candidate_rows(texts, verdicts, refs, config)
    page = doc % n
    noisy = doc < n  # what is reported: the scraped pages
    w = np.where(noisy, 1.0, args.truth_weight)
    # nothing above the document's first kept line: the article starts the text
    top = x[:, FEATURES.index("abs_pos")] == x[:, FEATURES.index("rel_pos")]
    wx = [i for i, p in enumerate(pages) if p["id"].startswith("wx-")]
    ml = [i for i, p in enumerate(pages) if not p["id"].startswith("wx-")]
    reachable = {int(d) for d, ok in zip(doc, y, strict=True) if ok}
    print(
        f"{n} pages ({len(wx)} WCXB, {len(ml)} multilingual), {int(noisy.sum())} candidates in "
        f"their noisy texts (window {WINDOW_BEFORE} before, {WINDOW_AFTER} from the first kept "
        f"line), {len(y)} with the truth texts; pages with their headline among the noisy "
        f"text's candidates: WCXB {len(reachable & set(wx))}, multilingual "
        f"{len(reachable & set(ml))}"
    )
    old = old_rule(texts[:n], verdicts[:n], config)
    print(line("old rule (first kept line), WCXB", score_pages(old, refs, wx)))

    domains = [p["domain"] for p in pages]
    fold_of_page = np.asarray(folds_by_domain(domains, FOLDS))
    inner_of_page = np.asarray(folds_by_domain(domains, FOLDS, salt="title-inner:"))
    picked: dict[int, str | None] = {}
    oof = np.zeros(len(y))
    for k in range(FOLDS):
        test = fold_of_page[page] == k
        train = ~test
        inner = out_of_fold(x[train], y[train], w[train], page[train], inner_of_page, FOLDS)
        threshold = choose_threshold(inner, y[train], doc[train], noisy[train], args.target)
        at_top = choose_threshold(inner, y[train], doc[train], top[train], args.top_target)
        oof[test] = fit(x[train], y[train], w[train]).predict(x[test], num_threads=1)
        for d, r in best_per_page(oof, doc, test).items():
            if oof[r] >= (at_top if top[r] else threshold):
                picked[d] = texts[d].split("\n")[where[r][1]].strip()
        held = [i for i in wx if fold_of_page[i] == k]
        name = f"  fold {k + 1} (thresholds {threshold:.3f}, {at_top:.3f}), WCXB"
        print(line(name, score_pages(picked, refs, held)))
    print(line("out of fold, WCXB", score_pages(picked, refs, wx)))
    print(line("out of fold, multilingual", score_pages(picked, refs, ml)))
    by_lang = defaultdict(list)
    for i in ml:
        by_lang[_lang_group(pages[i]["lang"])].append(i)
    for lang, idx in sorted(by_lang.items()):
        print(line(f"  {lang} ({len(idx)} pages)", score_pages(picked, refs, idx)))
    headed = {d - n: t for d, t in picked.items() if n <= d < 2 * n}
    print(line("out of fold, true text under its headline", score_pages(headed, refs, range(n))))
    alone = sum(1 for d in picked if d >= 2 * n)
    print(f"out of fold, true text alone (no headline line): titles given on {alone} of {n}")

    if args.no_write:
        return
    oof_all = out_of_fold(x, y, w, page, fold_of_page, FOLDS)
    threshold = choose_threshold(oof_all, y, doc, noisy, args.target)
    at_top = choose_threshold(oof_all, y, doc, top, args.top_target)
    booster = fit(x, y, w)
    MODEL_PATH.write_text(booster.model_to_string(), encoding="utf-8")
    meta = {
        "features": list(FEATURES),
        "window": [WINDOW_BEFORE, WINDOW_AFTER],
        "threshold": threshold,
        "threshold_at_top": at_top,
        "target_precision_at_top": args.top_target,
        "target_precision": args.target,
        "lightgbm": lightgbm.__version__,
        "params": PARAMS,
        "rounds": ROUNDS_TITLE,
        "truth_weight": args.truth_weight,
        "trained_on": (
            f"wcxb dev ({len(wx)} pages) and multilingual-dev ({len(ml)} pages): noisy texts, "
            "truth texts with and without the headline; line verdicts out of fold; labels: "
            "the page's h1 / og:title; threshold for the target precision on the noisy "
            "texts' out-of-fold scores"
        ),
    }
    META_PATH.write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    reread = TitleModel.from_files(MODEL_PATH.read_text("utf-8"), meta)
    diff = float(np.max(np.abs(reread.scores(x.tolist()) - booster.predict(x, num_threads=1))))
    if diff > 1e-12:
        raise SystemExit(f"the written model predicts differently (max diff {diff})")
    print(
        f"wrote {MODEL_PATH.relative_to(ROOT)} (thresholds {threshold:.3f}, at the top "
        f"{at_top:.3f}); max diff {diff:g}"
    )
    check_eval(args.devset.with_name(EVAL_NAME), config)


def _lang_group(lang: str) -> str:
    if lang in ("de", "es", "fr"):
        return lang
    return "cjk (ja, zh)" if lang in ("ja", "zh") else "other"


def check_eval(path: Path, config: CleanConfig) -> None:
    """trafilatura's evaluation pages through ``clean_batch`` with the shipped models
    (read anew from the package): a check, never fitted on."""
    if not path.exists():
        return
    from cleaners import titles

    titles.default_title_model.cache_clear()
    pages = list(read_devset(path, None))
    refs = [references(p["html"]) for p in pages]
    texts = [prepare_text(p["noisy"], config).text for p in pages]
    picked: dict[int, str | None] = {}
    old: dict[int, str | None] = {}
    for s in range(0, len(pages), 200):
        batch = [prepare_text(p["noisy"], config) for p in pages[s : s + 200]]
        for j, r in enumerate(clean_batch(batch, config)):
            picked[s + j] = r.title
        verdicts = classify_documents(texts[s : s + 200], config)
        old.update({s + j: t for j, t in old_rule(texts[s : s + 200], verdicts, config).items()})
    every = range(len(pages))
    print(
        line(
            f"check, trafilatura-eval ({len(pages)} pages), old rule", score_pages(old, refs, every)
        )
    )
    print(line("check, trafilatura-eval, title picker", score_pages(picked, refs, every)))


if __name__ == "__main__":
    main()
