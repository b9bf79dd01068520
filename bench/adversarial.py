"""Regular expressions stay linear: time clean_text on hostile 1 MB lines.

    uv run python bench/adversarial.py [--size BYTES] [--top 15]

For every case of bench/workloads/adversarial.py (long runs of one character, nested brackets,
near-matches of every literal phrase of every pattern) prints the seconds and MB/s of
``clean_text`` on one line of that size, the slowest first, and the same at a tenth
of the size: a linear pipeline takes about ten times as long on ten times the input.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.workloads.adversarial import cases
from cleaners import clean_text


def timed(text: str) -> float:
    t0 = time.perf_counter()
    clean_text(text)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", type=int, default=1 << 20)
    ap.add_argument("--top", type=int, default=15)
    args = ap.parse_args()
    clean_text("warm up")
    rows = []
    t_all = time.perf_counter()
    small = dict(cases(args.size // 10))
    for name, line in cases(args.size):
        rows.append((timed(line), timed(small[name]), name))
    rows.sort(reverse=True)
    total = time.perf_counter() - t_all
    print(f"{len(rows)} cases of {args.size:,} characters, {total:.1f} s in all")
    print(f"{'case':48s} {'seconds':>8s} {'MB/s':>7s} {'x vs 1/10':>10s}")
    for t, t_small, name in rows[: args.top]:
        ratio = t / t_small if t_small > 0 else float("nan")
        print(f"{name[:48]:48s} {t:8.3f} {args.size / t / 1e6:7.1f} {ratio:10.1f}")
    worst = max(t / ts for t, ts, _ in rows if ts > 0.002)
    print(f"slowest case: {rows[0][0]:.2f} s; worst growth for 10x the input: {worst:.1f}x")


if __name__ == "__main__":
    main()
