"""The scheduled_clean flow and ``serve``: a deployment on a cron, each run incremental.

A deployment's worker loads this file by its path, not as ``flows.scheduled_clean``:
its imports are absolute (``flows.…``), never relative.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import shlex
import signal
import time
from typing import Any

from prefect import flow, get_run_logger
from prefect.exceptions import FailedRun
from prefect.runtime import flow_run
from prefect.states import Failed, State

from cleaners.config import ConfigError
from flows.cancel import cancel_subflows, cut_short_by_stop
from flows.clean_corpus import clean_corpus
from flows.data.storage import is_url
from flows.interrupt import SERVED, delivered_twice
from flows.options import RunOptions, options_from
from flows.parameters import SERVE, flow_parameters
from flows.runners import task_runner
from flows.runtime import command_line

# A flow a deployment runs with the run options: it checks its parameters itself
# (options_from; a bad one fails the run with the CLI's line, invalid_parameters), and
# a cancelled run cancels its subflows.
DEPLOYED: dict[str, Any] = {
    "persist_result": False,
    "validate_parameters": False,
    "on_cancellation": [cancel_subflows],
}


@flow(name="scheduled_clean", **DEPLOYED)
@flow_parameters(*SERVE)
def scheduled_clean(input: str, output: str = "output", **shared: Any) -> dict[str, Any] | State:
    """One scheduled run: the inputs of ``input`` not seen yet, appended to the dataset
    at ``output`` (a clean_corpus subflow on the runner asked for). Finding nothing new
    is normal. The parameters are ``textwash serve``'s options; a bad one fails the run
    with the CLI's one-line error.

    Args:
        input: Folder, file or glob the scraper writes into (or a URL).
        output: Dataset folder, or a URL (s3://bucket/prefix).
    """
    try:
        opts = options_from(scheduled_clean.fn, shared, incremental=True)
        if not is_url(input) and not os.path.exists(input) and not any(c in input for c in "*?["):
            raise ConfigError(f"input not found: {input}")
    except ConfigError as exc:
        return invalid_parameters(exc)
    summary = clean_corpus.with_options(task_runner=task_runner(opts))(
        input=input, output=output, options=opts.to_dict()
    )
    # serve's terminal (a worker's log) shows each run's outcome even with logs quiet
    print(run_line(summary, flow_run.name), flush=True)
    return summary


def run_line(summary: dict[str, Any], name: str) -> str:
    """One line for a scheduled run's outcome.

    >>> s = {"documents": 3, "rejects": 1, "removed_lines": 40, "seconds": 2.5,
    ...      "output": "out", "input": "raw", "dataset": {"documents": 10}}
    >>> run_line(s, "calm-fox")
    "run 'calm-fox': 3 new documents, 1 reject, 40 lines removed in 2.5 s; out holds 10 documents"
    >>> run_line({**s, "documents": 0, "rejects": 0}, "calm-fox")
    "run 'calm-fox': nothing new in raw; out holds 10 documents"
    """
    held = f"{summary['output']} holds {summary['dataset']['documents']:,} documents"
    docs, rejects = summary["documents"], summary["rejects"]
    if not docs and not rejects:
        return f"run {name!r}: nothing new in {summary['input']}; {held}"
    return (
        f"run {name!r}: {docs:,} new documents, {rejects:,} reject{'s' * (rejects != 1)}, "
        f"{summary['removed_lines']:,} lines removed in {summary['seconds']:.1f} s; {held}"
    )


def invalid_parameters(exc: ConfigError) -> State:
    """A run whose parameters are wrong fails with the line the CLI prints, no traceback."""
    get_run_logger().error("error: %s", exc)
    _PARAMETER_FAILURES.messages.add(str(exc))
    logging.getLogger("prefect.flow_runs").addFilter(_PARAMETER_FAILURES)  # once
    return Failed(message=str(exc))


class ParameterFailures(logging.Filter):
    """Where a worker runs a flow (``python -m prefect.engine``), Prefect's engine logs
    the run's end in state Failed as an exception, with about 40 lines of its own
    traceback. A run failed on its parameters has said why in one line: that record is
    dropped. Any other failure, a real crash, keeps its traceback."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not (isinstance(exc, FailedRun) and str(exc) in self.messages)


_PARAMETER_FAILURES = ParameterFailures()


def serve(
    input: str,
    output: str,
    options: RunOptions,
    *,
    cron: str,
    name: str,
    config: str | os.PathLike[str] | None = None,
) -> tuple[int, bool]:
    """Serve scheduled_clean as a deployment on ``cron`` until SIGINT or SIGTERM, and
    return the signal's number and whether it cut a run short (Cancelled).

    Needs a Prefect server (``PREFECT_API_URL``): its scheduler creates the runs, this
    process runs them (in subprocesses that import this module by name), one at a time.
    A signal stops the polling, cancels a run in progress the way Prefect cancels one
    (its shards stop at their next document; the run is Cancelled in the UI; the next
    run resumes from its finished shards) and pauses the schedule until the next
    ``serve``. A second signal ends it at once.
    """
    from prefect.deployments.runner import EntrypointType
    from prefect.runner import Runner

    def absolute(spec: str | os.PathLike[str]) -> str:
        # The runs start in other processes: a local path by its absolute form.
        return str(spec) if is_url(str(spec)) else os.path.abspath(spec)

    runner = Runner(name=name, pause_on_shutdown=True, limit=1)
    deployment_id = runner.add_flow(
        scheduled_clean,
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
        entrypoint_type=EntrypointType.MODULE_PATH,
    )
    print(
        f"Serving scheduled_clean/{name} on {cron!r}: {_ui_url()}/deployments/deployment/"
        f"{deployment_id}\nA run now: {_run_now(name)}\nCtrl-C stops serving.",
        flush=True,
    )
    os.environ[SERVED] = "1"  # the runs it starts leave Ctrl-C to this process
    signum, busy = _until_signal(runner)
    # A run's process outlives its Completed state by a second or two: whether the
    # run it held was cut short is the API's to say.
    return signum, busy and cut_short_by_stop(deployment_id) is not False


def _until_signal(runner: Any) -> tuple[int, bool]:
    """Run ``runner`` until a signal, then stop it as Prefect does on SIGTERM; the
    signal (0: none) and whether a run's process was on when it came."""
    received: list[tuple[int, float, bool]] = []  # the first signal, when, a run on

    def stop(signum: int, frame: object) -> None:
        if received and delivered_twice(received[0][1]):
            return
        if received:  # a second signal: now, without waiting for the run to stop
            for child in multiprocessing.active_children():
                child.kill()
            os._exit(128 + signum)
        # serve runs one at a time (limit=1): a run in progress holds the one slot
        received.append((signum, time.monotonic(), not runner.has_slots_available()))
        runner.handle_sigterm()

    async def main() -> None:
        started = asyncio.create_task(runner.start())
        await asyncio.sleep(0)  # start() puts its own SIGTERM handler in place first
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, stop)
        await started

    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    signal.signal(signal.SIGINT, stop)  # before asyncio.run, which then leaves it alone
    try:
        asyncio.run(main())
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return (received[0][0], received[0][2]) if received else (0, False)


def _run_now(name: str) -> str:
    """The command that runs the deployment now, from any terminal: with the API this
    process serves on (found by textwash, which Prefect's own CLI does not do)."""
    from prefect.settings import PREFECT_API_URL

    command = f"uv run prefect deployment run {shlex.quote(f'scheduled_clean/{name}')}"
    return command_line(command, PREFECT_API_URL=PREFECT_API_URL.value())


def _ui_url() -> str:
    from prefect.settings import PREFECT_API_URL, PREFECT_UI_URL

    return str(PREFECT_UI_URL.value() or PREFECT_API_URL.value().removesuffix("/api"))
