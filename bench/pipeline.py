"""The pipeline's own cost: Prefect overhead, scaling over processes, memory growth.

    uv run python bench/pipeline.py [--corpus-mb 512] [--slice-mb 24] [--scaling-mb 100]
                                    [--rss-mb 16] [--repeat 2] [--only overhead,scaling,rss]

1. Builds a corpus of ``--corpus-mb`` MB of JSONL from the devset's ``noisy`` pages
   and the seeds, in varied copies: copy k of a page has its digits rotated, one more
   line, and the URL host ``k.<site>`` (each copy is its own site, so cross-document
   counts behave as on the devset rather than seeing one page a thousand times).
   Timings are the fastest of ``--repeat`` runs (this machine's run-to-run spread is
   about 10 %).
2. Overhead: the same shards of a ``--slice-mb`` slice cleaned without Prefect (the
   flow's phases in this process, as a run with no server does) and by the Prefect
   flow on one thread (its API server started beforehand and reported apart).
3. Scaling: the flow with the process runner, 1 and then 2 workers, on a
   ``--scaling-mb`` slice. Each run pays its workers' start-up (about 5 s: Prefect and
   the cleaners imported in each), so small slices understate scaling.
4. Memory: peak RSS of ``textwash run`` (one thread) on ``--rss-mb`` and on ten
   times that, with the same shard size (4 MB: memory follows the shard size).

Overhead and scaling use textwash's default shard plan, as ``textwash run`` does.

The measures run on slices of the corpus whose sizes are printed.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEVSET = ROOT.parent / "shared" / "devset" / "wcxb-dev-articles.jsonl.gz"

RSS_SHARD_MB = 4
SHARD_BYTES = 64 << 20  # textwash's default


def _rotate_digits(text: str, k: int) -> str:
    return re.sub(r"\d", lambda m: str((int(m.group()) + k) % 10), text)


def build_corpus(dest: Path, size_mb: int, devset: Path) -> tuple[int, int]:
    """JSONL files of about 16 MB; returns (bytes, records)."""
    with gzip.open(devset) as fh:
        pages = [json.loads(line) for line in fh]
    base = [(p["noisy"], p["domain"], p["id"]) for p in pages if p.get("noisy")]
    for seed in sorted((ROOT / "seeds").glob("*.txt")):
        base.append((seed.read_text(encoding="utf-8"), "seeds.example", seed.stem))
    dest.mkdir(parents=True, exist_ok=True)
    target = size_mb << 20
    written = records = k = 0
    fh = None
    part = 0
    while written < target:
        for text, domain, pid in base:
            if fh is None or fh.tell() > 16 << 20:
                if fh:
                    fh.close()
                fh = open(dest / f"part-{part:04d}.jsonl", "w", encoding="utf-8")  # noqa: SIM115
                part += 1
            rec = {
                "id": f"{pid}-{k}",
                "url": f"https://{k}.{domain}/{pid}",
                "text": f"{_rotate_digits(text, k)}\nCopy {k} of this page.",
            }
            line = json.dumps(rec, ensure_ascii=False) + "\n"
            fh.write(line)
            written += len(line.encode())
            records += 1
            if written >= target:
                break
        k += 1
    if fh:
        fh.close()
    return written, records


def fresh(out: Path) -> Path:
    """An output folder with nothing in it: with a kept ``--work``, a run into the
    last run's output would resume it (and skip every shard)."""
    shutil.rmtree(out, ignore_errors=True)
    return out


def take_slice(corpus: Path, dest: Path, size_mb: float) -> int:
    """The first ``size_mb`` MB of the corpus, whole records, as one folder."""
    dest.mkdir(parents=True, exist_ok=True)
    target, written = int(size_mb * (1 << 20)), 0
    with open(dest / "slice.jsonl", "w", encoding="utf-8") as out:
        for part in sorted(corpus.glob("*.jsonl")):
            with open(part, encoding="utf-8") as fh:
                for line in fh:
                    out.write(line)
                    written += len(line.encode())
                    if written >= target:
                        return written
    return written


def plain_loop(src: Path, out: Path) -> float:
    """The flow's work without Prefect: the same phases (plan, count, clean, commit),
    run in this process on one thread, as ``textwash run`` does with no server."""
    from flows.launch import run_clean_corpus
    from flows.options import RunOptions

    t0 = time.perf_counter()
    options = RunOptions(runner="thread", workers=1, shard_bytes=SHARD_BYTES)
    run_clean_corpus(str(src), str(out), options, plain=True)
    return time.perf_counter() - t0


def flow_run(src: Path, out: Path, runner: str, workers: int) -> float:
    from flows.launch import run_clean_corpus
    from flows.options import RunOptions

    t0 = time.perf_counter()
    options = RunOptions(runner=runner, workers=workers, shard_bytes=SHARD_BYTES)
    run_clean_corpus(str(src), str(out), options)
    return time.perf_counter() - t0


def peak_rss_mb(src: Path, out: Path, api: str) -> tuple[float, float]:
    """(peak RSS in MB, seconds) of one `textwash run` process on one thread."""
    # VmHWM is this process's own peak: ru_maxrss would keep the peak of the process
    # it was forked from (Linux carries it across exec), here this bench's own size.
    code = (
        "import re, sys, time\n"
        "from flows.cli import app\n"
        "t0 = time.perf_counter()\n"
        "try:\n"
        "    app(sys.argv[1:])\n"
        "except SystemExit:\n"
        "    pass\n"
        "hwm = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)\n"
        "print('RSS', int(hwm) / 1024, time.perf_counter() - t0)\n"
    )
    cmd = [sys.executable, "-c", code, "run", str(src), "-o", str(out)]
    cmd += ["--shard-mb", str(RSS_SHARD_MB)]
    env = {**os.environ, "PREFECT_API_URL": api}
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    line = [x for x in res.stdout.splitlines() if x.startswith("RSS")][-1]
    _, rss, secs = line.split()
    return float(rss), float(secs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--corpus-mb", type=int, default=512)
    ap.add_argument("--slice-mb", type=float, default=24, help="the overhead measure's input")
    ap.add_argument("--scaling-mb", type=float, default=100, help="the scaling measure's input")
    ap.add_argument("--repeat", type=int, default=2, help="runs per measure; the fastest counts")
    ap.add_argument("--rss-mb", type=float, default=16)
    ap.add_argument(
        "--only",
        type=lambda v: set(v.split(",")),
        default={"overhead", "scaling", "rss"},
        help="some of overhead,scaling,rss",
    )
    ap.add_argument("--devset", type=Path, default=DEVSET)
    ap.add_argument("--work", type=Path, default=None, help="scratch folder (default: temp)")
    args = ap.parse_args()

    import contextlib

    from flows.runtime import configure_prefect, local_server

    configure_prefect()
    work = args.work or Path(tempfile.mkdtemp(prefix="textwash-bench-"))
    work.mkdir(parents=True, exist_ok=True)  # the server's home goes in it at once
    t0 = time.perf_counter()
    stack = contextlib.ExitStack()
    corpus = work / "corpus"
    size, n = build_corpus(corpus, args.corpus_mb, args.devset)
    print(
        f"corpus: {size / 1e6:,.0f} MB, {n:,} documents in {len(list(corpus.glob('*')))} "
        f"JSONL files ({time.perf_counter() - t0:.0f} s to build)"
    )
    api_url = stack.enter_context(local_server(work / "prefect-home"))
    os.environ["PREFECT_API_URL"] = api_url
    print(f"Prefect API server ready after {time.perf_counter() - t0:.0f} s (not counted below)")
    try:
        from cleaners.core import warm_up

        warm_up()
        print(f"\ndefault shard plan; the fastest of {args.repeat} runs each")

        tiny = work / "tiny"
        take_slice(corpus, tiny, 0.05)
        t_first = flow_run(tiny, fresh(work / "out-tiny"), "thread", 1)
        print(f"first flow of the process (50 KB, imports and client set-up): {t_first:.1f} s")

        def best(fn, src: Path, *a) -> float:  # type: ignore[no-untyped-def]
            times = []  # the fastest of --repeat
            for r in range(args.repeat):
                out = work / f"out-{fn.__name__}-{src.name}-{'-'.join(map(str, a))}-{r}"
                times.append(fn(src, fresh(out), *a))
            return min(times)

        if "overhead" in args.only:
            sl = work / "slice"
            mb = take_slice(corpus, sl, args.slice_mb) / 1e6
            print(f"overhead, on a {mb:.1f} MB slice:")
            t_loop = best(plain_loop, sl)
            t_flow = best(flow_run, sl, "thread", 1)
            print(f"plain loop        {t_loop:7.1f} s  {mb / t_loop:5.2f} MB/s")
            print(
                f"Prefect flow (1)  {t_flow:7.1f} s  {mb / t_flow:5.2f} MB/s"
                f"  -> flow / loop = {t_flow / t_loop:.3f}x"
            )
        if "scaling" in args.only:
            sl = work / "scaling"
            mb = take_slice(corpus, sl, args.scaling_mb) / 1e6
            print(f"scaling, on a {mb:.1f} MB slice:")
            # Interleaved (x1, x2, x1, x2...): this machine's speed drifts by 10-15 %
            # over minutes, which back-to-back runs would read as scaling.
            runs: dict[int, list[float]] = {1: [], 2: []}
            for r in range(args.repeat):
                for w in (1, 2):
                    out = fresh(work / f"out-scaling-x{w}-{r}")
                    runs[w].append(flow_run(sl, out, "process", w))
            t1, t2 = min(runs[1]), min(runs[2])
            pairs = ", ".join(f"{a / b:.2f}x" for a, b in zip(runs[1], runs[2], strict=True))
            print(f"  per pair (x1 then x2): {pairs}")
            print(f"process x1        {t1:7.1f} s  {mb / t1:5.2f} MB/s")
            print(
                f"process x2        {t2:7.1f} s  {mb / t2:5.2f} MB/s"
                f"  -> speed-up {t1 / t2:.2f}x on {os.cpu_count()} cores"
            )
        if "rss" not in args.only:
            return
        small, big = work / "rss-1x", work / "rss-10x"
        b1 = take_slice(corpus, small, args.rss_mb)
        b10 = take_slice(corpus, big, args.rss_mb * 10)
        r1, s1 = peak_rss_mb(small, fresh(work / "out-rss-1x"), api_url)
        r10, s10 = peak_rss_mb(big, fresh(work / "out-rss-10x"), api_url)
        print(f"\nmemory, shards of {RSS_SHARD_MB} MB")
        print(f"peak RSS, 1x  ({b1 / 1e6:6.1f} MB input): {r1:7.1f} MB  ({s1:.0f} s)")
        print(
            f"peak RSS, 10x ({b10 / 1e6:6.1f} MB input): {r10:7.1f} MB  ({s10:.0f} s)"
            f"  -> {r10 / r1:.2f}x"
        )
    finally:
        os.environ.pop("PREFECT_API_URL", None)
        stack.close()
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    random.seed(0)
    main()
