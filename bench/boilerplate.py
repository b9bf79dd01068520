"""Boilerplate stripping on the devset: token precision/recall/F1 per page, averaged.

    uv run python bench/boilerplate.py [--devset PATH] [--limit N] [--no-html]

Scores ``clean_text`` on the ``noisy`` and ``noisy_recall`` fields, and ``clean_html``
and ``trafilatura.extract`` on the raw page, against ``truth``, next to the identity
baseline and a line oracle (the whole lines to drop chosen knowing the truth: the
ceiling of any line-by-line stripper on that input). Per page: token
precision/recall/F1 (bag of NFC-lowercased white-space tokens), line precision/recall
(a line counts when it is a line of the other text or most of its word trigrams are in
it); pooled: the share of ``with`` snippets kept and of ``without`` snippets leaked.
Prints figures; asserts nothing.

Note: the line model was trained on this devset; ``bench/train_line_model.py`` gives
the honest figure for ``clean_text`` (cross-validated by site).
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


def norm(s: str) -> str:
    return " ".join(unicodedata.normalize("NFC", s).lower().split())


def trigrams(words: list[str]) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + 3]) for i in range(len(words) - 2)}


def aligned(line: str, lines: set[str], grams: set[tuple[str, ...]]) -> bool:
    """The line is in the other text: as a line, or by most of its word trigrams."""
    if line in lines:
        return True
    g = trigrams(line.split())
    return bool(g) and len(g & grams) >= 0.5 * len(g)


class Scores:
    def __init__(self) -> None:
        self.n = 0
        self.sums = Counter()

    def add(self, pred: str, page: dict) -> None:
        truth = page["truth"]
        p, r, f = prf(pred, truth)
        out_lines = {norm(x) for x in pred.split("\n") if x.strip()}
        truth_lines = {norm(x) for x in truth.split("\n") if x.strip()}
        out_grams, truth_grams = trigrams(norm(pred).split()), trigrams(norm(truth).split())
        lp = (
            sum(aligned(x, truth_lines, truth_grams) for x in out_lines) / len(out_lines)
            if out_lines
            else 0.0
        )
        lr = (
            sum(aligned(x, out_lines, out_grams) for x in truth_lines) / len(truth_lines)
            if truth_lines
            else 1.0
        )
        flat = norm(pred)
        kept = [norm(w) in flat for w in page.get("with") or []]
        leaked = [norm(w) in flat for w in page.get("without") or []]
        self.n += 1
        self.sums.update({"P": p, "R": r, "F1": f, "lineP": lp, "lineR": lr})
        self.sums.update(
            {
                "with_n": len(kept),
                "with_kept": sum(kept),
                "without_n": len(leaked),
                "without_leaked": sum(leaked),
            }
        )

    def row(self) -> str:
        s, n = self.sums, self.n
        return (
            f"P {s['P'] / n:.4f}  R {s['R'] / n:.4f}  F1 {s['F1'] / n:.4f}  "
            f"lineP {s['lineP'] / n:.4f}  lineR {s['lineR'] / n:.4f}  "
            f"with kept {s['with_kept'] / max(1, s['with_n']):.4f}  "
            f"without leaked {s['without_leaked'] / max(1, s['without_n']):.4f}"
        )


def line_oracle(text: str, truth: str) -> str:
    """``text`` less the whole lines whose removal raises its token F1 against ``truth``,
    greedily, best first: about the best any line-by-line stripper can do, since it
    knows the truth. A ceiling for the figures above it, not a method."""
    t = tokens(truth)
    n_truth = sum(t.values())
    lines = [x for x in text.split("\n") if x.strip()]
    counts = [tokens(x) for x in lines]
    cur: Counter[str] = Counter()
    for c in counts:
        cur.update(c)
    size = sum(cur.values())
    overlap = sum(min(v, t[w]) for w, v in cur.items())

    def f1(o: int, n: int) -> float:
        return 2 * o / (n + n_truth) if n and n_truth else 0.0

    best, alive = f1(overlap, size), set(range(len(lines)))
    while True:
        pick = None
        for i in alive:
            d = sum(min(cur[w] - v, t[w]) - min(cur[w], t[w]) for w, v in counts[i].items())
            f = f1(overlap + d, size - sum(counts[i].values()))
            if f > best + 1e-12:
                best, pick, pick_d = f, i, d
        if pick is None:
            return "\n".join(lines[i] for i in sorted(alive))
        alive.discard(pick)
        cur.subtract(counts[pick])
        size -= sum(counts[pick].values())
        overlap += pick_d


def score(name: str, pages: list[dict], fn: Callable[[dict], str]) -> None:
    t0 = time.perf_counter()
    scores = Scores()
    for page in pages:
        scores.add(fn(page), page)
    dt = time.perf_counter() - t0
    print(f"{name:<30} {scores.row()}  {len(pages) / dt:7.1f} docs/s", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devset", type=Path, default=DEFAULT_DEVSET)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--no-html", action="store_true", help="skip the (slow) HTML path")
    args = ap.parse_args()
    pages = list(read_devset(args.devset, args.limit))
    config = CleanConfig()
    print(f"{len(pages)} pages from {args.devset.name}; means per page; snippet rates pooled")
    for field in ("noisy", "noisy_recall"):
        score(f"identity {field}", pages, lambda pg, f=field: pg[f])
        score(f"clean_text {field}", pages, lambda pg, f=field: clean_text(pg[f], config).text)
        score(f"line oracle {field}", pages, lambda pg, f=field: line_oracle(pg[f], pg["truth"]))
    if not args.no_html:
        import trafilatura

        def html_path(pg: dict, cfg: CleanConfig = config) -> str:
            try:
                return clean_html(pg["html"], cfg, url=pg["url"]).text
            except ExtractionError:
                return ""

        score(
            "trafilatura.extract html",
            pages,
            lambda pg: trafilatura.extract(pg["html"], url=pg["url"]) or "",
        )
        score("clean_html html", pages, html_path)
        extracted = CleanConfig(strip_boilerplate=False)
        score(
            "line oracle html",
            pages,
            lambda pg: line_oracle(html_path(pg, extracted), pg["truth"]),
        )


if __name__ == "__main__":
    main()
