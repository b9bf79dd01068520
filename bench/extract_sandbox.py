"""What the extraction child process costs: HTML extraction with a time limit (in this
thread's child, cleaners/sandbox.py) next to the same extraction in this process
(``html_timeout_s = 0``), on the devset pages; and that both give the same results.

    uv run python bench/extract_sandbox.py [--limit N] [--rounds R]

Each page is extracted both ways in turns (the order alternating page by page), R
rounds; a page's time on each side is its best round, so load from other processes
weighs on both sides alike. Also printed: the round trip alone (the page sent to the
child and its length sent back) and a child's start (Python and trafilatura's import).
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from cleaners import sandbox
from cleaners.extract import Extracted, ExtractionError, extract_html

DEFAULT_DEVSET = (
    Path(__file__).resolve().parents[2] / "shared" / "devset" / "wcxb-dev-articles.jsonl.gz"
)


def outcome(page: dict, timeout_s: float) -> Extracted | tuple[str, str]:
    try:
        return extract_html(page["html"], page["url"], timeout_s=timeout_s)
    except ExtractionError as exc:
        return exc.reason, str(exc)


def timed(function, *args) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - start, result


def child_start() -> float:
    """Seconds from a new thread's first call to its reply (a trivial call)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(
            lambda: timed(sandbox.call, len, ("",), 60, ("trafilatura",))[0]
        ).result()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devset", type=Path, default=DEFAULT_DEVSET)
    parser.add_argument("--limit", type=int, default=None, help="first N pages (default all)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with gzip.open(args.devset, "rt", encoding="utf-8") as fh:
        pages = [json.loads(line) for line in itertools.islice(fh, args.limit)]
    n, mb = len(pages), sum(len(p["html"].encode()) for p in pages) / 1e6

    outcome(pages[0], 30)  # start this thread's child; trafilatura imported both sides
    here = [float("inf")] * n
    child = [float("inf")] * n
    trip = [float("inf")] * n
    same = 0
    for r in range(args.rounds):
        for k, page in enumerate(pages):
            sides = [(here, 0.0), (child, 30.0)]
            for times, timeout_s in sides if (k + r) % 2 else sides[::-1]:
                t, result = timed(outcome, page, timeout_s)
                times[k] = min(times[k], t)
                if r == 0:
                    got = result if timeout_s else None
                    same += got is not None and got == outcome(page, 0.0)
            t, _ = timed(sandbox.call, len, (page["html"],), 30, ("trafilatura",))
            trip[k] = min(trip[k], t)
    t_here, t_child, t_trip = sum(here), sum(child), sum(trip)
    starts = sorted(child_start() for _ in range(3))
    print(
        f"{n} devset pages, {mb:.1f} MB of HTML, best of {args.rounds} rounds per page, "
        "the two sides in turns (machine shared: both sides see the same load)\n"
        f"  in this process (html_timeout_s = 0)  {1000 * t_here / n:7.2f} ms/page\n"
        f"  in the child (html_timeout_s = 30)   {1000 * t_child / n:7.2f} ms/page\n"
        f"  overhead                             {1000 * (t_child - t_here) / n:+7.2f} ms/page "
        f"({100 * (t_child - t_here) / t_here:+.1f} %)\n"
        f"  round trip alone (page there, its length back) {1000 * t_trip / n:.2f} ms/page "
        f"({100 * t_trip / t_here:.1f} % of extraction)\n"
        f"  a child's start (once per thread, and after a timeout) "
        f"{starts[1]:.2f} s (median of 3)\n"
        f"  results identical to in-process: {same}/{n} pages"
    )


if __name__ == "__main__":
    main()
