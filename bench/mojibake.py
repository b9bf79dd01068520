"""Mojibake repair: throughput against ftfy, and round-trip repair by garbling kind.

    uv run python bench/mojibake.py [--devset PATH] [--ftfy-cases PATH] [--samples N]

Prints, in one run:
  * MB/s of ``fix_mojibake`` and ``ftfy.fix_text`` on (a) the devset ``truth`` texts
    (clean news text) and (b) the same with 1 % of lines garbled;
  * for each code page and garbling kind (plain, double, split, typographic,
    double_typographic), the rate at which ``fix_mojibake`` and ``ftfy.fix_text``
    give back the exact original.
Texts garbled: word sequences drawn from wordfreq's lists (ru, uk, el, fr, de, es, pt,
pl, tr), devset lines with non-ASCII letters, and ftfy's own test cases when given.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import time
from pathlib import Path

import ftfy

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cleaners.garble import GARBLE_ENCODINGS, KINDS, garble  # noqa: E402
from cleaners.mojibake import fix_mojibake  # noqa: E402
from tests.mojibake_samples import sample_texts, texts_for  # noqa: E402

DEFAULT_DEVSET = ROOT.parent / "shared" / "devset" / "wcxb-dev-articles.jsonl.gz"


def throughput(fn, texts: list[str]) -> float:
    size = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    t0 = time.perf_counter()
    for t in texts:
        fn(t)
    return size / (time.perf_counter() - t0)


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


def main() -> None:
    from cleaners.garble import garble_kind

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devset", type=Path, default=DEFAULT_DEVSET)
    ap.add_argument(
        "--ftfy-cases",
        type=Path,
        default=None,
        help="tests/test_cases.json from the ftfy 6.3.1 sdist",
    )
    ap.add_argument("--samples", type=int, default=300, help="texts per language")
    args = ap.parse_args()

    with gzip.open(args.devset, "rt", encoding="utf-8") as fh:
        truths = [json.loads(line)["truth"] for line in fh]
    fix_mojibake("warm up: РєР ° РЅР ° Р »РІ")  # load word lists outside the timing
    print(f"throughput on {sum(len(t.encode()) for t in truths) / 1e6:.1f} MB of devset truth")
    for name, texts in [
        ("(a) clean truth", truths),
        ("(b) 1% of lines garbled", garble_some_lines(truths, 0.01)),
    ]:
        ours = throughput(fix_mojibake, texts)
        theirs = throughput(ftfy.fix_text, texts)
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
