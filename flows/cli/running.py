"""How a command runs its flows: a progress bar, on this machine's Prefect API, a
temporary server (``--prefect``) or none, and one line for an interruption or a
failure."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, ProgressColumn, Task, TextColumn
from rich.table import Column
from rich.text import Text

from ..data.storage import is_remote
from ..runtime import configure_prefect, find_api_url, using_api
from ..servers import TemporaryServer
from .console import err

T = TypeVar("T")


class AverageRate(ProgressColumn):
    """MB/s since the phase's first progress, and the time left at that rate. Rich's
    own columns take the rate over the last samples, which a finished shard's jump
    turns into "186.7 GB/s"; an average is steady, and starting it at the first
    progress keeps the workers' start-up out of it (else the first estimates are
    minutes for a run of seconds)."""

    def __init__(self) -> None:
        super().__init__(table_column=Column(no_wrap=True))  # never split over two lines

    def render(self, task: Task) -> Text:
        rate = _average_rate(task)
        if rate is None:
            return Text("      ?  MB/s  -:--", style="progress.data.speed")
        left = (task.total or 0) - task.completed
        eta = "0:00" if task.finished or left <= 0 else _clock(left / rate)
        return Text(f"{rate / 1e6:7.2f} MB/s {eta:>5}", style="progress.data.speed")


def _average_rate(task: Task) -> float | None:
    """Bytes a second since the task's first progress (``fields["first"]``: when, and
    how much was done then), or since its start before there is a second of it; None
    while the phase is under a second old."""
    end = task.finished_time if task.finished else task.elapsed
    if not end or not task.completed or (end < 1 and not task.finished):
        return None
    first = task.fields.get("first")
    if first is not None and task.start_time is not None:
        since, done = end - (first[0] - task.start_time), task.completed - first[1]
        if since >= 1 and done > 0:
            return done / since
    return task.completed / end


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class RichReporter:
    """The run's progress bar: documents, MB done of MB planned, rate, time left."""

    LOG_EVERY_S = 30.0  # without a terminal, a line this often (see _log_line)

    def __init__(self, console: Console) -> None:
        # Every column but the bar keeps its width; the bar takes what is left, so a
        # line fits 80 columns (a log file's, a pipe's) without wrapping.
        self.bar = Progress(
            TextColumn("{task.description:<22}", table_column=Column(no_wrap=True)),
            BarColumn(bar_width=None),
            TextColumn("{task.fields[items]:>8,} docs", table_column=Column(no_wrap=True)),
            DownloadColumn(table_column=Column(no_wrap=True)),
            AverageRate(),
            console=console,
            expand=True,
        )
        self.task: Any = None
        self.logged = 0.0  # when a line was last printed for a log (see update)

    def start(self, phase: str, total_bytes: int, total_items: int | None) -> None:
        if self.task is None:
            self.bar.start()
        self.task = self.bar.add_task(phase, total=max(total_bytes, 1), items=0)
        self.logged = self.bar.get_time()

    def update(self, items: int, done_bytes: int) -> None:
        task = self.bar.tasks[-1]
        if done_bytes and "first" not in task.fields:  # the rate counts from here
            task.fields["first"] = (self.bar.get_time(), done_bytes)
        self.bar.update(self.task, completed=done_bytes, items=items)
        self._log_line(task)

    def _log_line(self, task: Task) -> None:
        """Without a terminal (a log file, a pipe, CI) Rich draws the bar only when the
        run ends: there, a line every LOG_EVERY_S seconds says how far the phase is."""
        now = self.bar.get_time()
        if self.bar.console.is_terminal or now - self.logged < self.LOG_EVERY_S:
            return
        self.logged = now
        self.bar.console.print(self.bar.make_tasks_table([task]), soft_wrap=False)

    def finish(self) -> None:
        task = self.bar.tasks[-1]
        self.bar.update(self.task, completed=task.total)

    def close(self) -> None:
        if self.task is not None:
            self.bar.stop()


def with_prefect(
    verbose: bool,
    output: Path,
    work: Callable[[float, bool], T],
    html: bool = True,
    prefect: bool = False,
) -> T:
    """Run ``work(startup_seconds, plain)`` with a progress bar, on the Prefect API
    this machine has (runtime.find_api_url), or a temporary server with ``--prefect``,
    or else without Prefect's API (``plain``: one line says so).

    SIGINT and SIGTERM stop the run with one line and exit code 130 / 143 (see
    interrupt.py). A failure of the run itself (not of a document: those are rejects)
    is one clear line and exit code 1; ``--verbose`` shows the traceback too.
    """
    from ..interrupt import Interrupted, interruptible, progress_line
    from ..state.progress import remove_progress

    t0 = time.perf_counter()
    configure_prefect(verbose)
    bar = RichReporter(err)

    def on_exit(signum: int) -> None:
        bar.close()
        for progress in [output, *output.glob("*/")] if not is_remote(output) else [output]:
            remove_progress(progress)
        err.print(progress_line(), highlight=False, soft_wrap=True)  # one line, any width

    try:
        with _found_api() as api_url, interruptible(on_exit):
            return _run_on(
                api_url, prefect, html, bar, lambda plain: work(time.perf_counter() - t0, plain)
            )
    except Interrupted as exc:
        raise typer.Exit(exc.exit_code) from None
    except Exception as exc:
        if verbose:
            err.print_exception()
        failure = escape(f"{type(exc).__name__}: {exc}")  # a message may hold [brackets]
        err.print(f"[red]error:[/red] the run failed: {failure}", highlight=False)
        if any(output.glob("**/_shards/shard-*.json")):
            err.print("Finished shards are kept: the same command resumes from them.")
        raise typer.Exit(1) from None


@contextlib.contextmanager
def _found_api() -> Iterator[str | None]:
    """This machine's Prefect API (or None), in PREFECT_API_URL while the run lasts."""
    previous_url = os.environ.get("PREFECT_API_URL")
    api_url = find_api_url()
    if api_url is not None:
        # Before Prefect is imported: threads it starts outside the run's settings
        # context (a process pool's event forwarding) read the root settings, and
        # without the URL there they would start a temporary server of their own.
        os.environ["PREFECT_API_URL"] = api_url
    try:
        yield api_url
    finally:
        # A later run in this process (a notebook, a test) finds its own API.
        if previous_url is None:
            os.environ.pop("PREFECT_API_URL", None)
        else:
            os.environ["PREFECT_API_URL"] = previous_url


def _run_on(
    api_url: str | None,
    prefect: bool,
    html: bool,
    bar: RichReporter,
    work: Callable[[bool], T],
) -> T:
    """``work(plain)`` on ``api_url``, on a temporary server (``prefect``), or plain."""
    from ..state.progress import reporting

    server = None
    if api_url is None and prefect:
        err.print(
            "Starting a temporary Prefect server for this run (10-50 s on a small "
            "machine; `textwash server start` keeps one running instead)...",
            highlight=False,
        )
        server = TemporaryServer()
        api_url = server.api_url
    elif api_url is None:
        err.print(
            "No Prefect server running: cleaning in this process, without Prefect's "
            "API (`textwash server start` records runs in the Prefect UI).",
            highlight=False,
        )
    if api_url is not None:
        from .. import clean_corpus  # noqa: F401  (imports Prefect)
    else:
        from .. import launch  # noqa: F401  (no Prefect: none is needed)
    try:
        if server is not None:
            from cleaners.core import warm_up

            warm_up(html)  # free while the temporary server boots
            server.wait_ready()
        with using_api(api_url) if api_url else contextlib.nullcontext(), reporting(bar):
            try:
                return work(api_url is None)
            finally:
                bar.close()
    finally:
        if server is not None:
            server.stop()
