"""SIGKILL `textwash run` at random moments, many times; every re-run must give the
dataset of an uninterrupted run, with no doc_id twice and no partial part visible.

    uv run python bench/crash.py [--kills 12] [--seed 0]

Uses the corpus and checks of bench/workloads/crash.py (tests/flows/test_crash.py kills at
a few fixed points in the suite) and prints, per kill, when it landed and what it left.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import contextlib

from bench.workloads import crash as workload
from flows.runtime import configure_prefect, local_server


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--kills", type=int, default=12)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    configure_prefect()
    root = Path(tempfile.mkdtemp(prefix="textwash-crash-"))
    with contextlib.ExitStack() as stack:
        api_url = stack.enter_context(local_server(root / "prefect-home"))
        corpus = workload.make_corpus(root, copies=8)
        t0 = time.perf_counter()
        workload.finish(corpus, root / "reference", api_url)
        full = time.perf_counter() - t0
        expected = workload.snapshot(root / "reference")
        manifest = json.loads((root / "reference" / "_manifest.json").read_text())
        flow_s = manifest["summary"]["seconds"]
        print(
            f"uninterrupted run: {full:.1f} s in all, the flow {flow_s:.1f} s, "
            f"{len(expected['documents'])} documents, {manifest['summary']['shards']} shards"
        )
        ok = 0
        for k in range(args.kills):
            out = root / f"killed-{k}"
            # A random moment of the flow itself: start-up (imports) is not where
            # anything is written. The clock starts when the run takes the dataset lock.
            delay = rng.uniform(0.0, flow_s)
            proc = workload.textwash(corpus, out, api_url)
            ready = workload.after((out / "_state" / "lock").exists, delay)
            killed = workload.kill_when(proc, ready)
            shards = workload.markers(out) if out.exists() else 0
            workload.assert_no_partial_files(out)
            workload.finish(corpus, out, api_url)
            got = workload.snapshot(out)
            ids = [r[0] for r in got["documents"]]
            same = got == expected and len(ids) == len(set(ids))
            ok += same
            print(
                f"kill {k + 1:2d} at {delay:4.1f} s into the flow: "
                f"{'killed' if killed else 'finished first'}, "
                f"{shards:2d} shards done before; resumed dataset "
                f"{'equal' if same else 'DIFFERENT'}"
            )
        print(f"{ok}/{args.kills} resumed datasets equal the uninterrupted one")


if __name__ == "__main__":
    main()
