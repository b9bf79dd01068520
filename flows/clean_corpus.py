"""The clean_corpus flow: discover -> plan shards -> one task per shard -> manifest.

Thin by design: reading, cleaning and writing a shard live in shards.py; the flow
decides what to run, runs it on a task runner, and records the result.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture, as_completed
from prefect.task_runners import ThreadPoolTaskRunner

from cleaners import CleanConfig

from . import __version__
from .dataset import read_marker, remove_stale, write_manifest
from .incremental import (
    clear_pending,
    dataset_lock,
    load_pending,
    load_seen,
    new_inputs,
    next_index,
    save_pending,
    save_seen,
)
from .linestats import frequent, load_state, merge, save_state
from .partitions import partition_output
from .readers import ReadOptions, discover
from .shards import (
    Shard,
    count_groups,
    count_shard,
    merge_counts,
    plan_shards,
    process_shard,
)

RUNNERS = ("thread", "process", "dask")
T = TypeVar("T")
R = TypeVar("R")


@task(name="count_lines", cache_policy=NO_CACHE, persist_result=False)
def count_lines(
    shards: list[dict[str, Any]], output: str, config: dict[str, Any], read_opts: dict[str, Any]
) -> tuple[dict, list[str]]:
    """The counting pass over a group of shards; documents counted in earlier runs are
    skipped."""
    _, skip = load_state(Path(output))
    cfg, opts = CleanConfig.from_dict(config), ReadOptions(**read_opts)
    counts: dict = {}
    counted: list[str] = []
    for shard in shards:
        shard_counts, shard_docs = count_shard(Shard.from_dict(shard), cfg, opts, skip)
        merge(counts, shard_counts)
        counted += shard_docs
    return counts, counted


@task(name="clean_shard", cache_policy=NO_CACHE, persist_result=False)
def clean_shard(
    shard: dict[str, Any],
    output: str,
    config: dict[str, Any],
    read_opts: dict[str, Any],
    run_started: str,
    repeated: dict[str, dict[str, int]],
) -> dict[str, Any]:
    """Read, clean and write one shard (arguments are plain dicts: they cross processes)."""
    return process_shard(
        Shard.from_dict(shard),
        Path(output),
        CleanConfig.from_dict(config),
        ReadOptions(**read_opts),
        datetime.fromisoformat(run_started),
        repeated,
    )


def _slots() -> int | None:
    """How many tasks the flow's task runner runs at once, when it says so."""
    from prefect.context import FlowRunContext

    ctx = FlowRunContext.get()
    runner = ctx.task_runner if ctx else None
    slots = getattr(runner, "_max_workers", None)  # thread and process pools
    if slots is None:  # a Dask cluster textwash starts (one thread per worker)
        slots = (getattr(runner, "cluster_kwargs", None) or {}).get("n_workers")
    return slots if isinstance(slots, int) and slots > 0 else None


def run_in_order(
    submit: Callable[[T], PrefectFuture[R]], items: Sequence[T], slots: int | None
) -> Iterator[R]:
    """Submit ``items`` in order with at most ``slots`` + 1 in flight (all when None);
    yield each result as it comes (so counts merge as they arrive).

    A task runner may start queued tasks in any order (the process pool resolves
    submissions in threads); a short queue keeps the plan's order, largest shards
    first and the small tail last, so workers finish together. The one extra task in
    flight keeps a worker from waiting on the flow. Every future is resolved: an
    unresolved failure would let the flow end "Completed".
    """
    window = slots + 1 if slots else max(len(items), 1)
    running: set[PrefectFuture[R]] = set()
    queue = iter(items)
    while True:
        while len(running) < window and (item := next(queue, _END)) is not _END:
            running.add(submit(item))  # type: ignore[arg-type]
        if not running:
            return
        finished = next(as_completed(list(running)))
        running.remove(finished)
        yield finished.result()


_END = object()


def _is_done(marker: dict | None, shard: Shard, config_fp: str) -> bool:
    return bool(
        marker
        and marker.get("key") == shard.key
        and marker.get("config") == config_fp
        and marker.get("textwash_version") == __version__
    )


def summary_markdown(summary: dict[str, Any]) -> str:
    lines = ["# textwash run", "", "| measure | value |", "|---|---|"]
    for key in (
        "input",
        "output",
        "documents",
        "rejects",
        "removed_lines",
        "chars_in",
        "chars_out",
        "shards_run",
        "shards_skipped",
        "seconds",
    ):
        lines.append(f"| {key} | {summary.get(key)} |")
    for section in ("removed_by_category", "rejects_by_error", "fixes"):
        if summary.get(section):
            lines += ["", f"## {section}", "", "| name | count |", "|---|---|"]
            lines += [f"| {k} | {v} |" for k, v in summary[section].items()]
    return "\n".join(lines) + "\n"


@flow(name="clean_corpus", persist_result=False, validate_parameters=False)
def clean_corpus(
    input: str = "seeds",
    output: str = "output",
    config: dict[str, Any] | None = None,
    read_options: dict[str, Any] | None = None,
    shard_bytes: int = 64 << 20,
    shard_files: int = 2000,
    force: bool = False,
    incremental: bool = False,
) -> dict[str, Any]:
    """Clean every document under ``input`` into the Parquet dataset at ``output``.

    By default the dataset mirrors the input: shards follow the sorted inputs, finished
    ones are skipped, parts of shards no longer planned are removed. ``incremental``
    (scheduled runs) cleans only inputs the dataset has not seen and appends parts.
    """
    t0 = time.perf_counter()
    run_started = datetime.now(UTC).replace(microsecond=0)
    cfg = CleanConfig.from_dict(config or {})
    opts = ReadOptions(**(read_options or {}))
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    with dataset_lock(out):
        return _clean_locked(
            input, out, cfg, opts, shard_bytes, shard_files, force, incremental, run_started, t0
        )


def _plan(
    input: str, out: Path, shard_bytes: int, shard_files: int, incremental: bool
) -> tuple[list[Shard], dict[str, tuple[str, str]]]:
    """The shards to run and the identity (fingerprint, sha256) of every input."""
    seen = load_seen(out)
    files = discover(input)
    if not incremental:
        _, changed = new_inputs(files, seen)
        identities = {f.rel: changed.get(f.rel) or seen[f.rel] for f in files}
        return plan_shards(files, shard_bytes, shard_files), identities
    pending = load_pending(out)
    shards, identities = pending if pending else ([], {})
    new, looked_at = new_inputs(files, {**seen, **identities})
    first = max([next_index(out), *(s.index + 1 for s in shards)])
    shards = shards + plan_shards(new, shard_bytes, shard_files, first_index=first)
    identities = {**identities, **looked_at}
    save_pending(out, shards, identities)  # before any shard runs: a crash resumes it
    return shards, {**seen, **identities}


def _clean_locked(
    input: str,
    out: Path,
    cfg: CleanConfig,
    opts: ReadOptions,
    shard_bytes: int,
    shard_files: int,
    force: bool,
    incremental: bool,
    run_started: datetime,
    t0: float,
) -> dict[str, Any]:
    plan, identities = _plan(input, out, shard_bytes, shard_files, incremental)
    cfg_fp = cfg.fingerprint()
    done, todo = [], []
    for shard in plan:
        marker = None if force else read_marker(out, shard.index)
        (done if _is_done(marker, shard, cfg_fp) else todo).append((shard, marker))

    # Counting pass over every shard (documents counted before are skipped), so each
    # document is judged against the same counts whatever the shard it lands in.
    counts, counted = load_state(out)
    opts_dict = dataclasses.asdict(opts)
    if cfg.strip_boilerplate:
        groups = count_groups(plan, shard_bytes)
        submit_count = functools.partial(
            count_lines.submit, output=str(out), config=cfg.to_dict(), read_opts=dict(opts_dict)
        )
        for shard_counts, shard_docs in run_in_order(
            lambda group: submit_count([s.to_dict() for s in group]), groups, _slots()
        ):
            merge(counts, shard_counts)
            counted.update(shard_docs)
    repeated = frequent(counts, cfg.repeated_line_min_docs)

    submit_clean = functools.partial(
        clean_shard.submit,
        output=str(out),
        config=cfg.to_dict(),
        read_opts=dict(opts_dict),
        run_started=run_started.isoformat(),
        repeated=repeated,
    )
    todo_dicts = [shard.to_dict() for shard, _ in todo]
    markers = [m for _, m in done] + list(run_in_order(submit_clean, todo_dicts, _slots()))
    markers.sort(key=lambda m: m["index"])
    if incremental:
        remove_stale(out, set(range(next_index(out))))  # temporary files only
    else:
        remove_stale(out, {s.index for s in plan})
    save_state(out, counts, counted)
    save_seen(out, identities)
    clear_pending(out)

    summary = {
        "input": os.fspath(input),
        "output": os.fspath(out),
        **merge_counts(markers),
        "shards": len(plan),
        "shards_run": len(todo),
        "shards_skipped": len(done),
        "seconds": round(time.perf_counter() - t0, 3),
    }
    all_markers = markers
    if incremental:
        all_markers = [m for i in range(next_index(out)) if (m := read_marker(out, i))]
    write_manifest(
        out,
        {
            "textwash_version": __version__,
            "config": cfg.to_dict(),
            "config_fingerprint": cfg_fp,
            "read_options": dataclasses.asdict(opts),
            "run_started": run_started.isoformat(),
            "mode": "incremental" if incremental else "mirror",
            "summary": summary,
            "dataset": merge_counts(all_markers),
            "shards": all_markers,
        },
    )
    try:
        from prefect.artifacts import create_markdown_artifact

        create_markdown_artifact(
            summary_markdown(summary),
            key="textwash-run-summary",
            description="textwash clean_corpus summary",
        )
    except Exception:  # an artifact is a convenience; the manifest is the record
        pass
    return summary


def task_runner(kind: str = "thread", workers: int | None = None, address: str | None = None):  # type: ignore[no-untyped-def]
    """The Prefect task runner for ``--runner``."""
    if kind == "thread":
        return ThreadPoolTaskRunner(max_workers=workers or 1)
    if kind == "process":
        from prefect.task_runners import ProcessPoolTaskRunner

        return ProcessPoolTaskRunner(max_workers=workers or os.cpu_count() or 1)
    if kind == "dask":
        from prefect_dask import DaskTaskRunner

        if address:
            return DaskTaskRunner(address=address)
        return DaskTaskRunner(
            cluster_kwargs={
                "n_workers": workers or os.cpu_count() or 1,
                "threads_per_worker": 1,
                "processes": True,
            }
        )
    raise ValueError(f"unknown runner {kind!r}; expected one of {RUNNERS}")


def run_clean_corpus(
    input: str,
    output: str,
    *,
    config: CleanConfig | None = None,
    read_options: ReadOptions | None = None,
    runner: str = "thread",
    workers: int | None = None,
    address: str | None = None,
    shard_bytes: int = 64 << 20,
    shard_files: int = 2000,
    force: bool = False,
    incremental: bool = False,
) -> dict[str, Any]:
    """Run clean_corpus on the chosen task runner, without the per-flow heartbeat thread."""
    return _run(
        clean_corpus,
        runner,
        workers,
        address,
        input=os.fspath(input),
        incremental=incremental,
        **_flow_params(output, config, read_options, shard_bytes, shard_files, force),
    )


def run_backfill(
    partitions: list[str],
    output: str,
    *,
    config: CleanConfig | None = None,
    read_options: ReadOptions | None = None,
    runner: str = "thread",
    workers: int | None = None,
    address: str | None = None,
    shard_bytes: int = 64 << 20,
    shard_files: int = 2000,
    force: bool = False,
    progress: bool = True,
) -> list[dict[str, Any]]:
    """Run the backfill flow (its subflows share the task runner)."""
    return _run(
        backfill,
        runner,
        workers,
        address,
        partitions=partitions,
        progress=progress,
        **_flow_params(output, config, read_options, shard_bytes, shard_files, force),
    )


def _flow_params(
    output: str,
    config: CleanConfig | None,
    read_options: ReadOptions | None,
    shard_bytes: int,
    shard_files: int,
    force: bool,
) -> dict[str, Any]:
    """The parameters both flows share, as plain values (they cross processes)."""
    return {
        "output": os.fspath(output),
        "config": (config or CleanConfig()).to_dict(),
        "read_options": dataclasses.asdict(read_options or ReadOptions()),
        "shard_bytes": shard_bytes,
        "shard_files": shard_files,
        "force": force,
    }


def _run(flow_fn, runner: str, workers: int | None, address: str | None, **params: Any):  # type: ignore[no-untyped-def]
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    configured = flow_fn.with_options(task_runner=task_runner(runner, workers, address))
    # The heartbeat thread is joined at flow end (~1 s each); runs are short-lived.
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        return configured(**params)


@flow(name="backfill", persist_result=False, validate_parameters=False)
def backfill(
    partitions: list[str],
    output: str = "output",
    config: dict[str, Any] | None = None,
    read_options: dict[str, Any] | None = None,
    shard_bytes: int = 64 << 20,
    shard_files: int = 2000,
    force: bool = False,
    progress: bool = False,
) -> list[dict[str, Any]]:
    """Clean each partition into its own dataset, one clean_corpus subflow each.

    Resumable like ``run``: a partition whose shards are done is skipped shard by shard.
    """
    from rich.progress import Progress

    summaries = []
    with Progress(disable=not progress, redirect_stdout=False, redirect_stderr=False) as bar:
        job = bar.add_task("backfill", total=len(partitions))
        for partition in partitions:
            bar.update(job, description=f"backfill {Path(partition).name}")
            summaries.append(
                clean_corpus(
                    input=partition,
                    output=partition_output(output, partition),
                    config=config,
                    read_options=read_options,
                    shard_bytes=shard_bytes,
                    shard_files=shard_files,
                    force=force,
                )
            )
            bar.advance(job)
    return summaries


@flow(name="scheduled_clean", persist_result=False, validate_parameters=False)
def scheduled_clean(
    input: str,
    output: str,
    config: dict[str, Any] | None = None,
    read_options: dict[str, Any] | None = None,
    shard_bytes: int = 64 << 20,
    shard_files: int = 2000,
    runner: str = "thread",
    workers: int | None = None,
    address: str | None = None,
) -> dict[str, Any]:
    """One scheduled run: the inputs not seen yet, appended to the dataset (a
    clean_corpus subflow on the chosen task runner)."""
    return clean_corpus.with_options(task_runner=task_runner(runner, workers, address))(
        input=input,
        output=output,
        config=config,
        read_options=read_options,
        shard_bytes=shard_bytes,
        shard_files=shard_files,
        incremental=True,
    )


def serve(
    input: str,
    output: str,
    *,
    cron: str,
    name: str = "textwash",
    config: CleanConfig | None = None,
    read_options: ReadOptions | None = None,
    runner: str = "thread",
    workers: int | None = None,
    address: str | None = None,
    shard_bytes: int = 64 << 20,
    shard_files: int = 2000,
) -> None:
    """Serve scheduled_clean as a deployment on ``cron`` until interrupted.

    Needs a Prefect server (``PREFECT_API_URL``). One run at a time: each appends to
    the same dataset. Runs execute in subprocesses that import this module by name.
    """
    from prefect.deployments.runner import EntrypointType

    params = _flow_params(output, config, read_options, shard_bytes, shard_files, False)
    params.pop("force")
    scheduled_clean.serve(
        name=name,
        cron=cron,
        parameters={
            "input": os.path.abspath(input),
            **params,
            "output": os.path.abspath(output),
            "runner": runner,
            "workers": workers,
            "address": address,
        },
        description=f"textwash: clean new inputs of {input} into {output}",
        limit=1,
        enforce_parameter_schema=False,
        entrypoint_type=EntrypointType.MODULE_PATH,
    )
