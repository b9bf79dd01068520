"""The backfill flows: many partitions (e.g. a date range), one clean_corpus subflow each.

``backfill`` takes ``textwash backfill``'s options (a deployment's form);
``backfill_partitions`` cleans a list of partitions the caller has found (the CLI,
which found them before Prefect started). A deployment's worker loads this file by its
path: its imports are absolute (``flows.…``), never relative.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger
from prefect.states import State

from cleaners.config import ConfigError
from flows.clean_corpus import clean_corpus
from flows.data.partitions import runnable_partitions
from flows.options import options_from
from flows.parameters import BACKFILL, flow_parameters
from flows.pipeline import clean_partitions
from flows.runners import task_runner
from flows.scheduled_clean import DEPLOYED, invalid_parameters


@flow(name="backfill", **DEPLOYED)
@flow_parameters(*BACKFILL)
def backfill(
    partitions: str | None = None,
    template: str | None = None,
    start: str | None = None,
    end: str | None = None,
    output: str = "output",
    **shared: Any,
) -> list[dict[str, Any]] | State:
    """Clean the partitions ``partitions`` (a glob) or ``template`` (with ``{date}``)
    from ``start`` to ``end`` names, each into ``OUTPUT/<partition name>/``. The
    parameters are ``textwash backfill``'s options; a bad one fails the run with the
    CLI's one-line error, and an empty or missing partition is skipped with a warning.

    Args:
        partitions: Glob of partition folders, e.g. raw/date=*.
        template: Partition path with {date}, e.g. raw/date={date} (with start, end).
        start: First date (YYYY-MM-DD).
        end: Last date, inclusive.
        output: Dataset folder (one dataset per partition in it), or a URL.
    """
    try:
        opts = options_from(backfill.fn, shared)
        found = runnable_partitions(
            partitions, template, start, end, output, warn=get_run_logger().warning
        )
    except ConfigError as exc:
        return invalid_parameters(exc)
    return backfill_partitions.with_options(task_runner=task_runner(opts))(
        partitions=found, output=output, options=opts.to_dict()
    )


@flow(
    name="backfill_partitions",
    persist_result=False,
    validate_parameters=False,
)
def backfill_partitions(
    partitions: list[str], output: str = "output", options: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Clean each partition into ``OUTPUT/<partition name>/``; every source starts with
    the partition's name, so sources and doc_ids are unique across partitions.

    Resumable like a run: a partition whose shards are done is skipped shard by shard.
    Subflows share the backfill's task runner.
    """
    return clean_partitions(partitions, output, options, corpus=clean_corpus)
