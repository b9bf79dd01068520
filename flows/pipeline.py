"""A run, plan -> count -> clean -> commit, without Prefect in it.

Each phase is a module (plan.py, count.py, clean.py, commit.py) and hands the next a
typed value (``Plan``, ``Counting``, ``Cleaned``). The Prefect flow and tasks
(clean_corpus.py) wrap these functions; a run without Prefect's API calls them
directly, its tasks' bodies on a plain pool (runners.plain), so neither the run's
process nor its workers import Prefect. One task per shard (and per group of shards
for counting), never one per document.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from cleaners.timing import Steps

from . import interrupt, runners
from .clean import clean, clean_shard
from .commit import Run, commit, recover
from .count import count, count_lines, count_shard
from .data.dataset import remove_partial_files
from .data.storage import as_path, is_remote
from .options import RunOptions
from .plan import inputs_of, make_plan
from .state.lock import dataset_lock

__all__ = ["clean_shard", "count_lines", "count_shard", "run_clean_corpus", "run_corpus"]


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
        with phases("count"):
            counting = count(plan, out, opts, prefix, counting_steps)
        with phases("clean"):
            cleaned = clean(plan, out, opts, run_started, counting, prefix)
        profile = {"phases": phases, "count": counting_steps.as_dict()}
        run = Run(input, out, opts, run_started, t0)
        with interrupt.committing():
            return commit(run, plan, counting, cleaned, profile)


def run_clean_corpus(
    input: str, output: str, options: RunOptions | None = None, *, plain: bool | None = None
) -> dict[str, Any]:
    """Clean ``input`` into ``output`` from Python, on the options' task runner: with
    Prefect's API, as the ``clean_corpus`` flow; without (``plain``; by default when no
    Prefect API is configured or running on this machine), the same body in this
    process, without importing Prefect."""
    options = options or RunOptions()
    params = {"input": str(input), "output": str(output)}
    if _plain(plain):
        with runners.plain(options):
            return run_corpus(options=options.to_dict(), **params)
    from .clean_corpus import clean_corpus

    return run_prefect_flow(clean_corpus, options, **params)


def clean_partitions(
    partitions: list[str], output: str, options: dict[str, Any] | None, corpus: Any = None
) -> list[dict[str, Any]]:
    """Clean each partition into ``OUTPUT/<partition name>/``; every source starts with
    the partition's name, so sources and doc_ids are unique across partitions.
    ``corpus``: how to clean one (the clean_corpus flow, a subflow; else ``run_corpus``)."""
    from .data.partitions import partition_name, partition_output

    interrupt.record_flow_run()  # a backfill's own flow run, besides its subflows'
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


def run_backfill(
    partitions: list[str], output: str, options: RunOptions, *, plain: bool | None = None
) -> list[dict[str, Any]]:
    """``clean_partitions`` as ``run_clean_corpus`` runs one input."""
    params = {"partitions": partitions, "output": str(output)}
    if _plain(plain):
        with runners.plain(options):
            return clean_partitions(options=options.to_dict(), **params)
    from .backfill import backfill_partitions

    return run_prefect_flow(backfill_partitions, options, **params)


def _plain(plain: bool | None) -> bool:
    from .runtime import find_api_url

    return find_api_url() is None if plain is None else plain


def run_prefect_flow(flow_fn: Any, options: RunOptions, **params: Any) -> Any:
    """Run a Prefect flow on the task runner ``options`` asks for, without the per-flow
    heartbeat thread (runs are short-lived; it costs ~1 s at flow end)."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    configured = flow_fn.with_options(task_runner=runners.task_runner(options))
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        return configured(options=options.to_dict(), **params)
