"""Plain-text titles against the page's own headline: precision and recall.

    uv run python bench/titles.py [--devset PATH] [--limit N]

The reference is the page's ``<h1>`` or its ``og:title`` (with a " | Site" or
" - Site" tail cut), read from the devset HTML; the title ``clean_text`` finds in the
page's scraped ``noisy`` text is right when it is the same headline as either (see
``core.is_same_headline``). Precision: right titles among the titles given (a wrong
title is worse than none); recall: right titles among the pages with a reference.
The shipped line model and title picker were both trained on these pages: the
figures here are in-sample (``bench/train_title_model.py`` reports them out of fold,
grouped by site); the first-kept-line rule the picker replaced is printed beside
them. Then the per-call cost of the picker: ``clean_texts`` over the pages with the
picker and with the rule, one thread, in turns (best of ``--rounds``). Prints
figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("POLARS_MAX_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from boilerplate import DEFAULT_DEVSET, read_devset  # noqa: E402

from cleaners import CleanConfig, core  # noqa: E402
from cleaners.core import clean_batch, clean_texts, is_same_headline, prepare_text  # noqa: E402

_TAIL = re.compile(r"\s+[|\-–—:·•]\s+")


def references(html: str) -> list[str]:
    """The page's headlines: its first ``<h1>`` and its ``og:title`` (whole, and
    without a site-name tail)."""
    from lxml import html as lh

    try:
        tree = lh.fromstring(html)
    except (ValueError, lh.etree.ParserError):
        return []
    out = []
    h1 = tree.xpath("//h1")
    if h1:
        out.append(" ".join(h1[0].text_content().split()))
    for og in tree.xpath("//meta[@property='og:title']/@content")[:1]:
        og = " ".join(og.split())
        out += [og, max(_TAIL.split(og), key=len)]
    return [x for x in out if x]


def without_picker(fn: Callable[[], object]) -> object:
    """``fn()`` with the title picker off: the first-kept-line rule alone."""
    saved = core.default_title_model
    core.default_title_model = lambda: None
    try:
        return fn()
    finally:
        core.default_title_model = saved


def score(pages: list[dict], config: CleanConfig) -> None:
    results = []
    for i in range(0, len(pages), 200):
        batch = pages[i : i + 200]
        results += clean_batch([prepare_text(p["noisy"], config) for p in batch], config)
    given = right = with_ref = 0
    wrong = []
    for page, r in zip(pages, results, strict=True):
        refs = references(page["html"])
        with_ref += bool(refs)
        if not r.title:
            continue
        given += 1
        if any(is_same_headline(r.title, ref) for ref in refs):
            right += 1
        else:
            wrong.append((r.title, refs[:1]))
    print(
        f"  titles given {given}, right {right}: precision {right / max(1, given):.3f}, "
        f"recall {right / max(1, with_ref):.3f}"
    )
    for title, refs in wrong[:10]:
        print(f"    wrong: {title[:70]!r}  page: {refs[0][:60] if refs else None!r}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devset", type=Path, default=DEFAULT_DEVSET)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    config = CleanConfig()
    pages = list(read_devset(args.devset, args.limit))
    with_ref = sum(bool(references(p["html"])) for p in pages)
    print(f"{len(pages)} pages, {with_ref} with an h1 or og:title (in-sample, see above)")
    print(" title picker:")
    score(pages, config)
    print(" first kept line, when it looks like a title (the rule it replaced):")
    without_picker(lambda: score(pages, config))

    texts = [p["noisy"] for p in pages]
    clean_all = lambda: sum(1 for _ in clean_texts(texts, config))  # noqa: E731
    clean_all()  # warm: models loaded, word data read
    best = {"picker": float("inf"), "rule": float("inf")}
    for _ in range(args.rounds):  # in turns: the machine's load weighs on both alike
        t0 = time.perf_counter()
        clean_all()
        best["picker"] = min(best["picker"], time.perf_counter() - t0)
        t0 = time.perf_counter()
        without_picker(clean_all)
        best["rule"] = min(best["rule"], time.perf_counter() - t0)
    extra = best["picker"] - best["rule"]
    print(
        f"clean_texts, {len(texts)} noisy texts, one thread, best of {args.rounds}: "
        f"{best['picker']:.2f} s with the picker, {best['rule']:.2f} s with the rule: "
        f"{1000 * extra / len(texts):+.2f} ms a text ({100 * extra / best['rule']:+.1f} %)"
    )


if __name__ == "__main__":
    main()
