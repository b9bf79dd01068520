"""The public API against ftfy, one thread: `clean_text` per document, `clean_texts` in batches.

    uv run python bench/api_speed.py [--repeat 3] [--limit N]

On the devset's ``truth`` texts (clean articles) and ``noisy`` texts (what a naive
scraper leaves) of ``../shared/devset/wcxb-dev-articles.jsonl.gz``: ``ftfy.fix_text``
on each, ``clean_text`` on each, and ``clean_texts`` on all of them, timed in turns
(the fastest of ``--repeat``, after one warm-up call each), with the speed of each
relative to ftfy's (above 1: faster than ftfy). Asserts nothing.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEVSET = ROOT.parent / "shared" / "devset" / "wcxb-dev-articles.jsonl.gz"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--limit", type=int, default=None, help="first N pages only")
    args = ap.parse_args()

    import ftfy

    from cleaners import clean_text, clean_texts

    with gzip.open(DEVSET, "rt", encoding="utf-8") as fh:
        pages = [json.loads(line) for line in fh][: args.limit]
    clean_text("Warm up\nA line of text.")
    print(f"load average {os.getloadavg()[0]:.1f}")
    for field in ("truth", "noisy"):
        texts = [p[field] for p in pages if p.get(field)]
        mb = sum(len(t.encode()) for t in texts) / 1e6
        runs = {
            "ftfy.fix_text": lambda ts: [ftfy.fix_text(t) for t in ts],
            "clean_text": lambda ts: [clean_text(t) for t in ts],
            "clean_texts": lambda ts: list(clean_texts(ts)),
        }
        best = dict.fromkeys(runs, float("inf"))
        for _ in range(args.repeat):  # in turns: the load falls on each alike
            for name, run in runs.items():
                t0 = time.perf_counter()
                run(texts)
                best[name] = min(best[name], time.perf_counter() - t0)
        print(f"{field}: {len(texts)} texts, {mb:.1f} MB")
        for name, sec in best.items():
            ratio = best["ftfy.fix_text"] / sec
            print(f"  {name:<14} {sec:6.2f} s  {mb / sec:5.2f} MB/s  {ratio:4.2f}x ftfy")
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
