"""Boilerplate stripping: speed, out-of-fold quality on the devset, and a check on
pages of other kinds of site -- in one run.

    uv run python bench/boilerplate.py [--only speed|devset|eval] [--limit N]

speed: MB/s and docs/s of cleaning (repaired one by one, classified in batches of
1,000 as the flow feeds them) next to ``ftfy.fix_text`` on the same devset ``truth``
and ``noisy`` texts, and ``clean_html`` next to the trafilatura call it makes; one
process, one thread, best of five rounds, the two sides of a ratio taking turns.
devset: token precision/recall/F1 per page (bag of NFC-lowercased white-space tokens,
quotes ASCII on both sides), averaged, of pages cleaned by a line model not trained on
their site (folds grouped by domain, see train_line_model.py), next to the identity
and a line oracle (the whole lines to drop chosen knowing the truth: the ceiling of
any line-by-line stripper on that input); and the share of tokens kept of already-
clean ``truth`` texts.
eval: trafilatura's evaluation pages (never fitted on): ``with`` snippets kept and
``without`` snippets leaked, pooled, for ``clean_text`` on ``noisy`` and for
``clean_html`` next to ``trafilatura.extract``. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import dataclasses
import gzip
import json
import os
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

# One thread: the figures are per core (set before Polars is imported).
os.environ.setdefault("POLARS_MAX_THREADS", "1")

from cleaners import CleanConfig, ExtractionError, clean_html, clean_text
from cleaners.core import clean_batch, prepare_html, prepare_text
from cleaners.extract import extraction_options
from cleaners.linemodel import LineModel
from cleaners.models import default_model
from cleaners.normalize import normalize_quotes
from cleaners.signals import UNSPACED_CHARS
from flows.clean import BATCH_BYTES, BATCH_DOCS

# The devset sits beside the project checkout: ../shared/devset.
DEFAULT_DEVSET = (
    Path(__file__).resolve().parents[2] / "shared" / "devset" / "wcxb-dev-articles.jsonl.gz"
)
EVAL_NAME = "trafilatura-eval.jsonl.gz"
MULTILINGUAL_NAME = "multilingual-dev.jsonl.gz"


# A character of a script written without spaces, or a run of anything else but space.
_TOKEN_RE = re.compile(f"[{UNSPACED_CHARS}]|[^\\s{UNSPACED_CHARS}]+")


def words_of(text: str) -> list[str]:
    """White-space tokens, each character of an unspaced script one token (how the
    multilingual devset's README scores Chinese, Japanese, Thai and Burmese)."""
    return _TOKEN_RE.findall(text)


def tokens(text: str) -> Counter[str]:
    """Bag of words, compared with quotes made ASCII on both sides: cleaning writes them
    so (the output contract), and the truth texts keep curly ones, so ``don’t`` against
    ``don't`` would count a kept word as lost."""
    return Counter(words_of(unicodedata.normalize("NFC", normalize_quotes(text)).lower()))


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


def read_pages(devset: Path, limit: int | None = None) -> list[dict]:
    """The WCXB dev pages (``lang`` "en") and, when present beside them, the
    multilingual dev pages: the model learns from and is cross-validated on both."""
    pages = [{**p, "lang": p.get("lang", "en")} for p in read_devset(devset, limit)]
    multilingual = devset.with_name(MULTILINGUAL_NAME)
    if multilingual.exists():
        pages += list(read_devset(multilingual, limit))
    return pages


def norm(s: str) -> str:
    return " ".join(unicodedata.normalize("NFC", s).lower().split())


def snippet_norm(s: str) -> str:
    return norm(normalize_quotes(s))


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
        self.n = self.n_truth = 0
        self.sums = Counter()

    def add(self, pred: str, page: dict) -> None:
        # Snippets are compared with quotes made ASCII on both sides, as cleaning does.
        flat = snippet_norm(pred)
        kept = [snippet_norm(w) in flat for w in page.get("with") or []]
        leaked = [snippet_norm(w) in flat for w in page.get("without") or []]
        self.n += 1
        self.sums.update(
            {
                "with_n": len(kept),
                "with_kept": sum(kept),
                "without_n": len(leaked),
                "without_leaked": sum(leaked),
            }
        )
        if "truth" not in page:  # trafilatura-eval: snippets only
            return
        self.n_truth += 1
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
        self.sums.update({"P": p, "R": r, "F1": f, "lineP": lp, "lineR": lr})

    def row(self) -> str:
        s, n = self.sums, max(1, self.n_truth)
        text = ""
        if self.n_truth:
            text = (
                f"P {s['P'] / n:.4f}  R {s['R'] / n:.4f}  F1 {s['F1'] / n:.4f}  "
                f"lineP {s['lineP'] / n:.4f}  lineR {s['lineR'] / n:.4f}  "
            )
        return (
            f"{text}with kept {s['with_kept'] / max(1, s['with_n']):.4f}  "
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
    scores = Scores()
    for page in pages:
        scores.add(fn(page), page)
    print(f"{name:<30} {scores.row()}", flush=True)


def best_of(rounds: int, *fns: Callable[[], object]) -> list[float]:
    """The best time of each function over ``rounds`` rounds, the functions taking
    turns within a round: a slow spell of the machine hits both sides of a ratio."""
    best = [float("inf")] * len(fns)
    for _ in range(rounds):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - t0)
    return best


def clean_in_batches(texts: list[str], config: CleanConfig, model: LineModel | None = None) -> None:
    """As a shard task feeds them: repaired one by one, classified together up to
    BATCH_DOCS documents or BATCH_BYTES bytes (``model``: the shipped one if None)."""
    docs, size = [], 0
    for t in texts:
        docs.append(prepare_text(t, config))
        size += len(t.encode())
        if len(docs) >= BATCH_DOCS or size >= BATCH_BYTES:
            clean_batch(docs, config, line_model=model)
            docs, size = [], 0
    if docs:
        clean_batch(docs, config, line_model=model)


def speed(pages: list[dict], html_pages: int, rounds: int) -> None:
    """MB/s and docs/s of cleaning next to ftfy.fix_text (text) and to the trafilatura
    call clean_html makes (HTML), in this one process and thread."""
    import ftfy
    from trafilatura import bare_extraction

    config = CleanConfig()
    clean_in_batches([p["noisy"] for p in pages[:50]], config)  # load the word data
    print(
        f"speed: best of {rounds} interleaved rounds, one process, one thread, batches of "
        f"{BATCH_DOCS} documents or {BATCH_BYTES >> 20} MB"
    )
    shipped = default_model()
    first_only = dataclasses.replace(shipped, context=None) if shipped else None
    for field in ("truth", "noisy"):
        texts = [p[field] for p in pages]
        mb = sum(len(t.encode()) for t in texts) / 1e6
        t_ftfy, t_ours, t_first = best_of(
            rounds,
            lambda texts=texts: [ftfy.fix_text(t) for t in texts],
            lambda texts=texts: clean_in_batches(texts, config),
            lambda texts=texts: clean_in_batches(texts, config, first_only),
        )
        print(
            f"  {field:<6} {mb:5.1f} MB  clean_text {mb / t_ours:5.2f} MB/s "
            f"{len(texts) / t_ours:6.0f} docs/s | ftfy.fix_text {mb / t_ftfy:5.2f} MB/s "
            f"| clean_text / ftfy = {t_ftfy / t_ours:.2f}x | without page context "
            f"{mb / t_first:5.2f} MB/s: page context keeps {t_first / t_ours:.2f} of it"
        )
    sample = pages[:html_pages]
    options = extraction_options(False, False, True, False)

    def extract_only() -> None:
        for p in sample:
            opts = copy.copy(options)
            opts.url = p["url"]
            bare_extraction(p["html"], url=p["url"], options=opts)

    def one_by_one() -> None:
        for p in sample:
            with contextlib.suppress(ExtractionError):
                clean_html(p["html"], config, url=p["url"])

    def as_the_flow() -> None:  # extracted one by one, classified together
        docs = []
        for p in sample:
            with contextlib.suppress(ExtractionError):
                docs.append(prepare_html(p["html"], config, p["url"]))
        clean_batch(docs, config, is_html=[True] * len(docs))

    t_extract, t_flow, t_single = best_of(rounds, extract_only, as_the_flow, one_by_one)
    print(
        f"  html   {len(sample)} pages  trafilatura bare_extraction (the same call: options,"
        f" metadata) {len(sample) / t_extract:5.1f} docs/s\n"
        f"         as the flow feeds it {len(sample) / t_flow:5.1f} docs/s: time / "
        f"trafilatura's = {t_flow / t_extract:.2f}x | clean_html page by page "
        f"{len(sample) / t_single:5.1f} docs/s: {t_single / t_extract:.2f}x"
    )


CJK = frozenset({"zh", "ja", "my", "th", "lo", "km"})


def _group(page: dict) -> str:
    if page["id"].startswith("wx-"):
        return "WCXB (en)"
    return "CJK+my" if page["lang"] in CJK else "other non-English"


def devset_quality(devset: Path, limit: int | None, folds: int, references: bool = True) -> None:
    """Grouped-CV token F1 on the WCXB dev pages and the multilingual dev pages (one
    model, trained and cross-validated on both, folds grouped by domain), next to the
    identity and the line oracle; and of ``clean_html`` on the same pages' HTML, next
    to trafilatura alone. F1 by language, and by fold."""
    import trafilatura
    from train_line_model import VARIANTS, cross_validate, mean, training_rows

    config = CleanConfig()
    pages = read_pages(devset, limit)
    groups = sorted({_group(p) for p in pages})
    counts = ", ".join(f"{g}: {sum(_group(p) == g for p in pages)}" for g in groups)
    print(f"devset: {len(pages)} pages ({counts}), {folds} folds grouped by domain (out of fold)")
    html = []
    for pg in pages:
        try:
            html.append(prepare_html(pg["html"], config, pg["url"]))
        except ExtractionError:
            html.append(None)
    scores, identity, per_fold = cross_validate(
        pages, training_rows(pages, config), folds, html=html
    )
    shipped = VARIANTS[-1]
    for g in groups:
        idx = [i for i, p in enumerate(pages) if _group(p) == g]
        print(f" {g} ({len(idx)} pages):")
        for field in ("noisy", "noisy_recall", "html"):
            for v in VARIANTS:
                p, r, f1 = (mean([scores[field, v][i][j] for i in idx]) for j in range(3))
                name = "clean_html" if field == "html" else "clean_text"
                print(
                    f"  {field:<13} {name} [{v:<12}] P {p:.4f} R {r:.4f} F1 {f1:.4f} | "
                    f"identity F1 {mean([identity[field][i][2] for i in idx]):.4f}"
                    + (" (trafilatura's text alone)" if field == "html" else "")
                )
            if references and field != "html" and g.startswith("WCXB"):
                oracle = mean(
                    [
                        prf(line_oracle(pages[i][field], pages[i]["truth"]), pages[i]["truth"])[2]
                        for i in idx
                    ]
                )
                print(f"  {field:<13} line oracle F1 {oracle:.4f}")
        kept = [scores["truth", shipped][i][1] for i in idx]
        print(
            f"  truth (already clean) tokens kept [{shipped}]: {mean(kept):.4f} per page; "
            f"{sum(x < 0.95 for x in kept)} of {len(kept)} pages lose more than 5 %"
        )
        lost = [i for i in idx if html[i] is None and len(pages[i]["truth"]) >= 80]
        print(f"  html pages rejected (truth of 80+ characters): {len(lost)}")
    for v in VARIANTS:
        print(f" WCXB noisy F1 by fold [{v}]: {' '.join(f'{x:.4f}' for x in per_fold[v])}")
    langs = sorted({p["lang"] for p in pages if not p["id"].startswith("wx-")})
    print(f" multilingual F1 by language [{shipped}] (pages: noisy clean_text / html clean_html):")
    for lang in langs:
        idx = [
            i for i, p in enumerate(pages) if p["lang"] == lang and not p["id"].startswith("wx-")
        ]
        t = mean([scores["noisy", shipped][i][2] for i in idx])
        h = mean([scores["html", shipped][i][2] for i in idx])
        print(f"  {lang}: {len(idx):3d} pages  clean_text {t:.4f}  clean_html {h:.4f}")
    if not references:
        return
    wx = [p for p in pages if p["id"].startswith("wx-")]
    peer = [prf(trafilatura.extract(pg["html"]) or "", pg["truth"]) for pg in wx]
    p, r, f1 = (mean([s[j] for s in peer]) for j in range(3))
    print(f" WCXB trafilatura.extract, its defaults: P {p:.4f} R {r:.4f} F1 {f1:.4f}")


def trafilatura_eval(path: Path, limit: int | None) -> None:
    """Must-have snippets kept and must-not-have ones leaked, on pages of other kinds
    of site (never fitted on)."""
    import trafilatura

    pages = list(read_devset(path, limit))
    config = CleanConfig()
    print(f"trafilatura-eval: {len(pages)} pages (checked, never fitted on)")

    # The dataset keeps a page's headline in ``title``: a snippet there is kept.
    def html_path(pg: dict) -> str:
        try:
            r = clean_html(pg["html"], config, url=pg["url"])
        except ExtractionError:
            return ""
        return f"{r.title or ''}\n{r.text}"

    def text_path(pg: dict) -> str:
        r = clean_text(pg["noisy"], config)
        return f"{r.title or ''}\n{r.text}"

    score("  identity noisy", pages, lambda pg: pg["noisy"])
    score("  clean_text noisy (title+text)", pages, text_path)
    score("  trafilatura.extract html", pages, lambda pg: trafilatura.extract(pg["html"]) or "")
    score("  clean_html html (title+text)", pages, html_path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devset", type=Path, default=DEFAULT_DEVSET)
    ap.add_argument("--eval", type=Path, default=DEFAULT_DEVSET.with_name(EVAL_NAME))
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=5, help="speed: best of this many")
    ap.add_argument("--html-pages", type=int, default=150)
    ap.add_argument(
        "--no-references",
        action="store_true",
        help="devset: without the line oracle and trafilatura's defaults (the slow references)",
    )
    ap.add_argument("--only", choices=("speed", "devset", "eval"), default=None, help="one section")
    args = ap.parse_args()
    pages = list(read_devset(args.devset, args.limit))
    if args.only in (None, "speed"):
        speed(pages, args.html_pages, args.rounds)
    if args.only in (None, "devset"):
        devset_quality(args.devset, args.limit, args.folds, not args.no_references)
    if args.only in (None, "eval"):
        trafilatura_eval(args.eval, args.limit)


if __name__ == "__main__":
    main()
