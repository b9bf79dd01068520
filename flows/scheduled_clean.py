"""The scheduled_clean flow and ``serve``: a deployment on a cron, each run incremental.

A deployment's worker loads this file by its path, not as ``flows.scheduled_clean``:
its imports are absolute (``flows.…``), never relative.
"""

from __future__ import annotations

import os
from typing import Any

from prefect import flow, get_run_logger
from prefect.states import Failed, State

from cleaners.config import ConfigError
from flows.clean_corpus import clean_corpus
from flows.data.storage import is_url
from flows.options import (
    Address,
    ConfigFile,
    Dedup,
    Runner,
    RunOptions,
    ShardFiles,
    ShardMb,
    Workers,
    options_from,
)
from flows.runners import task_runner


@flow(name="scheduled_clean", persist_result=False, validate_parameters=False)
def scheduled_clean(
    input: str,
    output: str = "output",
    config: ConfigFile = None,
    runner: Runner = "thread",
    workers: Workers = None,
    address: Address = None,
    shard_mb: ShardMb = 64.0,
    shard_files: ShardFiles = 2000,
    dedup: Dedup = "off",
) -> dict[str, Any] | State:
    """One scheduled run: the inputs of ``input`` not seen yet, appended to the dataset
    at ``output`` (a clean_corpus subflow on the runner asked for). Finding nothing new
    is normal. The parameters are ``textwash serve``'s options; a bad one fails the run
    with the CLI's one-line error.

    Args:
        input: Folder, file or glob the scraper writes into (or a URL).
        output: Dataset folder, or a URL (s3://bucket/prefix).
        config: TOML config file ([clean], [read]).
        runner: thread | process | dask
        workers: Parallel shards (default: 1 thread, or all cores for process/dask).
        address: Existing Dask scheduler address (with runner dask).
        shard_mb: Target shard size in MB.
        shard_files: Most files per shard.
        dedup: off | exact | near: copies keep a row pointing to the first, no text.
    """
    try:
        opts = options_from(scheduled_clean.fn, locals(), incremental=True)
        if not is_url(input) and not os.path.exists(input) and not any(c in input for c in "*?["):
            raise ConfigError(f"input not found: {input}")
    except ConfigError as exc:
        return invalid_parameters(exc)
    return clean_corpus.with_options(task_runner=task_runner(opts))(
        input=input, output=output, options=opts.to_dict()
    )


def invalid_parameters(exc: ConfigError) -> State:
    """A run whose parameters are wrong fails with the line the CLI prints, no traceback."""
    get_run_logger().error("error: %s", exc)
    return Failed(message=str(exc))


def serve(
    input: str,
    output: str,
    options: RunOptions,
    *,
    cron: str,
    name: str,
    config: str | os.PathLike[str] | None = None,
) -> None:
    """Serve scheduled_clean as a deployment on ``cron`` until interrupted.

    Needs a Prefect server (``PREFECT_API_URL``): its scheduler creates the runs, this
    process runs them (in subprocesses that import this module by name), one at a time.
    """
    from prefect.deployments.runner import EntrypointType

    def absolute(spec: str | os.PathLike[str]) -> str:
        # The runs start in other processes: a local path by its absolute form.
        return str(spec) if is_url(str(spec)) else os.path.abspath(spec)

    scheduled_clean.serve(
        name=name,
        cron=cron,
        parameters={
            "input": absolute(input),
            "output": absolute(output),
            "config": None if config is None else absolute(config),
            "runner": options.runner,
            "workers": options.workers,
            "address": options.address,
            "shard_mb": options.shard_bytes / (1 << 20),
            "shard_files": options.shard_files,
            "dedup": options.dedup,
        },
        description=f"textwash: clean new inputs of {input} into {output}",
        limit=1,
        entrypoint_type=EntrypointType.MODULE_PATH,
    )
