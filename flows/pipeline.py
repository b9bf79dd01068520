"""A run, plan -> count -> clean -> commit, without Prefect in it.

Each phase is a module (plan.py, count.py, clean.py, commit.py) and hands the next a
typed value (``Plan``, ``Counting``, ``Cleaned``). The Prefect flow and tasks
(clean_corpus.py, backfill.py) wrap these functions; a run without Prefect's API
calls them directly, its tasks' bodies on a plain pool (runners.plain), so neither the
run's process nor its workers import Prefect; launch.py chooses between the two. This
module imports no flow. One task per shard (and per group of shards for counting),
never one per document.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from cleaners.timing import Steps

from . import interrupt, orphans
from .clean import clean, clean_shard
from .commit import Run, commit, nothing_new, recover
from .count import count, count_lines, count_shard
from .data.dataset import remove_partial_files
from .data.storage import as_path, is_remote
from .options import RunOptions
from .plan import inputs_of, make_plan
from .state.lock import dataset_lock

__all__ = ["clean_partitions", "clean_shard", "count_lines", "count_shard", "run_corpus"]


def run_corpus(
    input: str = "seeds",
    output: str = "output",
    options: dict[str, Any] | None = None,
    prefix: str = "",
) -> dict[str, Any]:
    """Clean every document under ``input`` into the Parquet dataset at ``output``.

    ``options``: a ``RunOptions.to_dict()``; ``prefix`` goes before every source (a
    backfill's partition). Returns the run's summary (also in ``_manifest.json``).
    """
    interrupt.rearm()
    interrupt.record_flow_run()
    orphans.watch()  # a worker's run: ends Cancelled if the worker stops mid-run
    t0 = time.perf_counter()
    run_started = datetime.now(UTC).replace(microsecond=0)
    opts = RunOptions.from_dict(options or {})
    out = as_path(output)
    if not is_remote(out):  # an object store has no folders to make
        out.mkdir(parents=True, exist_ok=True)
    phases, counting_steps = Steps(), Steps()
    with dataset_lock(out):
        remove_partial_files(out)
        with interrupt.committing():
            recover(out)  # a commit a crash cut short is finished first
        with phases("plan"):
            plan = make_plan(inputs_of(input, out, prefix), out, opts)
        interrupt.planned(len(plan.shards), len(plan.done))
        run = Run(input, out, opts, run_started, t0)
        if plan.incremental and not plan.shards:
            return nothing_new(run, plan)  # the dataset, manifest included, stays as it is
        with phases("count"):
            counting = count(plan, out, opts, prefix, counting_steps)
        with phases("clean"):
            cleaned = clean(plan, out, opts, run_started, counting, prefix)
        profile = {"phases": phases, "count": counting_steps.as_dict()}
        with interrupt.committing():
            return commit(run, plan, counting, cleaned, profile)


def clean_partitions(
    partitions: list[str], output: str, options: dict[str, Any] | None, corpus: Any = None
) -> list[dict[str, Any]]:
    """Clean each partition into ``OUTPUT/<partition name>/``; every source starts with
    the partition's name, so sources and doc_ids are unique across partitions.
    ``corpus``: how to clean one (the clean_corpus flow, a subflow; else ``run_corpus``)."""
    from .data.partitions import partition_name, partition_output

    interrupt.record_flow_run()  # a backfill's own flow run, besides its subflows'
    orphans.watch()
    corpus = corpus or run_corpus
    return [
        corpus(
            input=partition,
            output=partition_output(output, partition),
            options=options,
            prefix=partition_name(partition),
        )
        for partition in partitions
    ]
