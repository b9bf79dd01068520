"""Plain-text titles against the page's own headline: precision and recall.

    uv run python bench/titles.py [--devset PATH] [--limit N]

The reference is the page's ``<h1>`` or its ``og:title`` (with a " | Site" or
" - Site" tail cut), read from the devset HTML; the title ``clean_text`` finds in the
page's scraped ``noisy`` text is right when it is the same headline as either (see
``core._is_same_headline``). Precision: right titles among the titles given (a wrong
title is worse than none); recall: right titles among the pages with a reference.
The line model judges which lines are kept: the shipped one, trained on these pages
(the title rule itself is not fitted). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

os.environ.setdefault("POLARS_MAX_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from boilerplate import DEFAULT_DEVSET, read_devset  # noqa: E402

from cleaners import CleanConfig  # noqa: E402
from cleaners.core import _is_same_headline, clean_batch, prepare_text  # noqa: E402

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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devset", type=Path, default=DEFAULT_DEVSET)
    ap.add_argument("--limit", type=int, default=None)
    args = ap.parse_args()
    config = CleanConfig()
    pages = list(read_devset(args.devset, args.limit))
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
        if any(_is_same_headline(r.title, ref) for ref in refs):
            right += 1
        else:
            wrong.append((r.title, refs[:1]))
    print(
        f"{len(pages)} pages, {with_ref} with an h1 or og:title; titles given {given}, right "
        f"{right}: precision {right / max(1, given):.3f}, recall {right / max(1, with_ref):.3f}"
    )
    for title, refs in wrong[:15]:
        print(f"  wrong: {title[:70]!r}  page: {refs[0][:60] if refs else None!r}")


if __name__ == "__main__":
    main()
