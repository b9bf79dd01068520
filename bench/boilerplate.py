"""Boilerplate stripping on the devset: token precision/recall/F1 per page, averaged.

    uv run python bench/boilerplate.py [--devset PATH] [--limit N] [--html]

Scores ``clean_text`` on the ``noisy`` and ``noisy_recall`` fields (and, with
``--html``, ``clean_html`` and ``trafilatura.extract`` on the raw page) against
``truth``, next to the identity baseline. Tokens: NFC, lowercase, split on white space,
compared as bags. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

from cleaners import CleanConfig, ExtractionError, clean_html, clean_text

# The devset sits beside the project checkout: ../shared/devset.
DEFAULT_DEVSET = (
    Path(__file__).resolve().parents[2] / "shared" / "devset" / "wcxb-dev-articles.jsonl.gz"
)


def tokens(text: str) -> Counter[str]:
    return Counter(unicodedata.normalize("NFC", text).lower().split())


def prf(pred: str, truth: str) -> tuple[float, float, float]:
    p, t = tokens(pred), tokens(truth)
    overlap = sum((p & t).values())
    precision = overlap / sum(p.values()) if p else (1.0 if not t else 0.0)
    recall = overlap / sum(t.values()) if t else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def read_devset(path: Path, limit: int | None) -> Iterator[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if limit is not None and i >= limit:
                return
            yield json.loads(line)


def _with_title(title: str | None, text: str) -> str:
    # The truth has no headline; the title is reported apart, so it is not scored.
    return text


def score(name: str, pages: list[dict], fn: Callable[[dict], str]) -> None:
    t0 = time.perf_counter()
    p = r = f = 0.0
    for page in pages:
        pp, rr, ff = prf(fn(page), page["truth"])
        p, r, f = p + pp, r + rr, f + ff
    n = len(pages)
    dt = time.perf_counter() - t0
    print(f"{name:<34} P {p / n:.4f}  R {r / n:.4f}  F1 {f / n:.4f}  {n / dt:8.1f} docs/s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devset", type=Path, default=DEFAULT_DEVSET)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--html", action="store_true", help="also score the HTML path")
    args = ap.parse_args()
    pages = list(read_devset(args.devset, args.limit))
    config = CleanConfig()
    print(f"{len(pages)} pages from {args.devset.name}")
    for field in ("noisy", "noisy_recall"):
        score(f"identity {field}", pages, lambda pg, f=field: pg[f])
        score(f"clean_text {field}", pages, lambda pg, f=field: clean_text(pg[f], config).text)
    if args.html:
        import trafilatura

        def html_path(pg: dict) -> str:
            try:
                return clean_html(pg["html"], config, url=pg["url"]).text
            except ExtractionError:
                return ""

        score(
            "trafilatura.extract html",
            pages,
            lambda pg: trafilatura.extract(pg["html"], url=pg["url"]) or "",
        )
        score("clean_html html", pages, html_path)


if __name__ == "__main__":
    main()
