"""Mojibake repair: throughput against ftfy, and round-trip repair by garbling kind.

    uv run python bench/mojibake.py [--devset PATH] [--ftfy-cases PATH] [--samples N]

Prints, in one run:
  * MB/s of ``fix_mojibake`` and ``ftfy.fix_text`` on (a) the devset ``truth`` texts
    (clean news text) and (b) the same with 1 % of lines garbled;
  * for each code page and garbling kind (plain, double, split, typographic,
    double_typographic), the rate at which ``fix_mojibake`` and ``ftfy.fix_text``
    give back the exact original.
Texts garbled, two sets reported apart:
  * real sentences: paragraphs of 1-3 sentences of the Universal Dependencies
    treebanks in 18 languages (``../shared/devset/ud-sentences.jsonl.gz``), from the
    held-out half (``--ud-half tune`` for the half anything may be tuned on). Per code
    page, kind and language: **bytes** (equal once white space is removed: every
    garbled character repaired), **spaces** (the share of the spaces a typographic
    pass moved or inserted that are right again), **exact**; and ftfy's exact. Then
    MB/s on clean paragraphs and with 1 % of them garbled, one paragraph per call;
  * word sequences drawn from wordfreq's lists (the lists the word-boundary repair
    reads: a measure of the lists more than of the method), devset lines with
    non-ASCII letters, and ftfy's own test cases when given.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import random
import sys
import time
from pathlib import Path

import ftfy

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.workloads.garble import GARBLE_ENCODINGS, KINDS, garble  # noqa: E402
from bench.workloads.mojibake_samples import sample_texts, texts_for  # noqa: E402
from cleaners.mojibake import fix_mojibake  # noqa: E402

DEFAULT_DEVSET = ROOT.parent / "shared" / "devset" / "wcxb-dev-articles.jsonl.gz"


def throughput(fn, texts: list[str]) -> float:
    """MB/s of ``fn`` over ``texts``, with the garbage collector off as timeit does."""
    size = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter()
        for t in texts:
            fn(t)
        return size / (time.perf_counter() - t0)
    finally:
        gc.enable()


def best_of(rounds: int, *fns, texts: list[str]) -> list[float]:
    """Best MB/s of each function; rounds interleave them, so a slow spell of the
    machine hits both sides of a ratio alike."""
    best = [0.0] * len(fns)
    for _ in range(rounds):
        for i, fn in enumerate(fns):
            best[i] = max(best[i], throughput(fn, texts))
    return best


def garble_some_lines(texts: list[str], rate: float, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    encodings = list(GARBLE_ENCODINGS)
    out = []
    for text in texts:
        lines = text.split("\n")
        for i, line in enumerate(lines):
            if rng.random() < rate:
                lines[i] = garble(line, rng.choice(encodings))
        out.append("\n".join(lines))
    return out


UD_KINDS = (*KINDS, "nbsp_space")


def garble_ud(text: str, encoding: str, kind: str, seed: int) -> str:
    """KINDS, and "nbsp_space": garbled once, then every NBSP a plain space (as a
    white-space normalizer leaves windows-1251 mojibake of "à": "Г " for "Г\xa0")."""
    from bench.workloads.garble import garble_kind

    if kind == "nbsp_space":
        return garble(text, encoding).replace("\xa0", " ")
    return garble_kind(text, encoding, kind, seed=seed)


def ud_scores(
    paragraphs: dict[str, list[str]], encoding: str, kind: str, fix=fix_mojibake
) -> dict[str, tuple[int, float, float, float, float]]:
    """Per language: (n, bytes, spaces, exact, ftfy exact)."""
    from bench.workloads.mojibake_samples import ambiguous_boundaries, repair_scores

    times = 2 if kind.startswith("double") else 1
    typographic = kind.endswith("typographic")
    out = {}
    for lang, texts in paragraphs.items():
        n = ok_bytes = exact = theirs = amb_total = amb_right = 0
        for i, text in enumerate(texts):
            garbled = garble_ud(text, encoding, kind, i)
            if garbled == text:
                continue
            n += 1
            amb = ambiguous_boundaries(text, encoding, times) if typographic else set()
            b, right, e = repair_scores(text, fix(garbled), amb)
            ok_bytes += b
            exact += e
            amb_total += len(amb)
            amb_right += right
            theirs += ftfy.fix_text(garbled) == ftfy.fix_text(text)
        if n:
            spaces = amb_right / amb_total if amb_total else float("nan")
            out[lang] = (n, ok_bytes / n, spaces, exact / n, theirs / n)
    return out


def ud_report(half: str, limit: int | None) -> None:
    from bench.workloads.mojibake_samples import UD_PAIRINGS, UD_PATH, UD_REPORTED, ud_paragraphs

    if not UD_PATH.exists():
        print(f"(no {UD_PATH}: real-sentence figures skipped)")
        return
    paragraphs = ud_paragraphs(half, per_language=limit)
    print(
        f"\nreal sentences (UD, {half} half, paragraphs of 1-3 sentences, up to {limit} a "
        "language): bytes / spaces / exact (ftfy exact)"
    )
    for encoding in GARBLE_ENCODINGS:
        floored = UD_PAIRINGS.get(encoding, ())
        langs = [*floored, *UD_REPORTED.get(encoding, ())]
        kinds = UD_KINDS if encoding == "cp1251" else KINDS
        print(f"\n  {encoding}  ({', '.join(UD_REPORTED.get(encoding, ()))} reported, not floored)")
        print("  " + f"{'lang':<5}" + "".join(f"{k:>28}" for k in kinds))
        table = {k: ud_scores({g: paragraphs[g] for g in langs}, encoding, k) for k in kinds}
        for lang in langs:
            cells = []
            for k in kinds:
                row = table[k].get(lang)
                if row is None:
                    cells.append(f"{'-':>28}")
                    continue
                _n, b, sp, ex, th = row
                spaces = "  -  " if sp != sp else f"{sp:.3f}"
                cells.append(f"{b:>8.3f} {spaces:>5} {ex:.3f} ({th:.2f})")
            print(f"  {lang:<5}" + "".join(cells))
    ud_speed(paragraphs)


def ud_speed(paragraphs: dict[str, list[str]]) -> None:
    texts = [t for ts in paragraphs.values() for t in ts]
    rng = random.Random(0)
    garbled = [
        garble(t, rng.choice(["cp1252", "cp1251", "latin-1", "mac_roman"]))
        if rng.random() < 0.01
        else t
        for t in texts
    ]
    mb = sum(len(t.encode()) for t in texts) / 1e6
    print(f"\n  speed, one paragraph a call, {len(texts)} paragraphs ({mb:.1f} MB), best of 5")
    for name, batch in (("clean UD paragraphs", texts), ("1% of them garbled", garbled)):
        ours, theirs = best_of(5, fix_mojibake, ftfy.fix_text, texts=batch)
        print(
            f"  {name:<22} fix_mojibake {ours:7.1f} MB/s   ftfy.fix_text {theirs:5.1f} MB/s"
            f"   x{ours / theirs:.1f}"
        )
    changed = sum(fix_mojibake(t) != t for t in texts)
    print(f"  clean paragraphs changed: {changed} of {len(texts)}")


def main() -> None:
    from bench.workloads.garble import garble_kind

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devset", type=Path, default=DEFAULT_DEVSET)
    ap.add_argument("--ud-half", choices=("held", "tune"), default="held")
    ap.add_argument("--ud-limit", type=int, default=400, help="paragraphs per language")
    ap.add_argument("--only-ud", action="store_true", help="the real-sentence figures only")
    ap.add_argument(
        "--ftfy-cases",
        type=Path,
        default=None,
        help="tests/test_cases.json from the ftfy 6.3.1 sdist",
    )
    ap.add_argument("--samples", type=int, default=300, help="texts per language")
    args = ap.parse_args()

    fix_mojibake("warm up: РєР ° РЅР ° Р »РІ")  # load word lists outside the timing
    ud_report(args.ud_half, args.ud_limit)
    if args.only_ud:
        return
    print("\nwordfreq word sequences and devset lines")
    with gzip.open(args.devset, "rt", encoding="utf-8") as fh:
        truths = [json.loads(line)["truth"] for line in fh]
    fix_mojibake("warm up: РєР ° РЅР ° Р »РІ")  # load word lists outside the timing
    print(f"throughput on {sum(len(t.encode()) for t in truths) / 1e6:.1f} MB of devset truth")
    for name, texts in [
        ("(a) clean truth", truths),
        ("(b) 1% of lines garbled", garble_some_lines(truths, 0.01)),
    ]:
        ours, theirs = best_of(3, fix_mojibake, ftfy.fix_text, texts=texts)
        print(
            f"  {name:<26} fix_mojibake {ours:7.1f} MB/s   ftfy.fix_text {theirs:5.1f} MB/s"
            f"   x{ours / theirs:.1f}"
        )
    changed = sum(fix_mojibake(t) != t for t in truths)
    same_as_ftfy = sum(fix_mojibake(t) == ftfy.fix_text(t, _pinned()) for t in truths)
    print(
        f"  truth texts changed: {changed} (identical to pinned ftfy on {same_as_ftfy}"
        f"/{len(truths)})"
    )

    by_source = sample_texts(truths, args.ftfy_cases, per_language=args.samples)
    print(
        "\nround trip, exact match with the original; texts per source: "
        + ", ".join(f"{k} {len(v)}" for k, v in by_source.items())
    )
    print("  (cp1251 on ru/uk, mac_roman on fr/de/es/pt/devset, cp1252 and latin-1 on all)")
    print(f"  {'code page':<10} {'kind':<20} {'n':>5}  {'fix_mojibake':>12}  {'ftfy':>6}")
    for encoding in GARBLE_ENCODINGS:
        for kind in KINDS:
            n = ours = theirs = 0
            for i, text in enumerate(texts_for(encoding, by_source)):
                garbled = garble_kind(text, encoding, kind, seed=i)
                if garbled == text:
                    continue  # nothing to repair (e.g. ASCII)
                n += 1
                ours += fix_mojibake(garbled) == text
                theirs += ftfy.fix_text(garbled) == ftfy.fix_text(text)
            if n:
                print(f"  {encoding:<10} {kind:<20} {n:>5}  {ours / n:12.4f}  {theirs / n:6.4f}")


def _pinned():
    from cleaners.mojibake import FTFY_CONFIG

    return FTFY_CONFIG


if __name__ == "__main__":
    main()
