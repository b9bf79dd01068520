"""Live progress of a run: shard tasks write how far they are, the flow adds it up.

A task may run in another process or on a Dask worker, so it cannot call back into
the CLI: it writes ``OUTPUT/_state/progress/<phase>-<index>.json`` (documents and
bytes done) at most twice a second, and the flow, while it waits for its tasks,
reads those files and tells the reporter the CLI installed (a rich progress bar).
A scheduled run or a plain Python call has no reporter: nothing is shown.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar

from .. import interrupt
from ..data.storage import is_remote
from ..options import RunOptions
from ..runners import is_plain, run_in_order, slots, submit
from . import STATE_DIR

T = TypeVar("T")
R = TypeVar("R")

PROGRESS_DIR = "progress"
INTERVAL_S = 0.5
ARTIFACT_INTERVAL_S = 2.0
REMOTE_INTERVAL_S = 2.0


class Reporter(Protocol):
    def start(self, phase: str, total_bytes: int, total_items: int | None) -> None: ...
    def update(self, items: int, done_bytes: int) -> None: ...
    def finish(self) -> None: ...


class _Silent:
    def start(self, phase: str, total_bytes: int, total_items: int | None) -> None:
        pass

    def update(self, items: int, done_bytes: int) -> None:
        pass

    def finish(self) -> None:
        pass


_reporter: Reporter = _Silent()


@contextlib.contextmanager
def reporting(reporter: Reporter) -> Iterator[Reporter]:
    """Show this run's progress with ``reporter`` (the CLI's progress bar)."""
    global _reporter
    previous, _reporter = _reporter, reporter
    try:
        yield reporter
    finally:
        _reporter = previous


def reporter() -> Reporter:
    return _reporter


def _path(output: Path, phase: str, index: int) -> Path:
    return output / STATE_DIR / PROGRESS_DIR / f"{phase}-{index:05d}.json"


class ProgressFile:
    """A task's side: ``(items, bytes)`` done, written at most every INTERVAL_S."""

    def __init__(self, output: Path, phase: str, index: int) -> None:
        self.path = _path(output, phase, index)
        self.remote = is_remote(self.path)
        if not self.remote:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        # An object store bills and rate-limits requests: report less often there.
        self.interval = REMOTE_INTERVAL_S if self.remote else INTERVAL_S
        self._next = 0.0

    def __call__(self, items: int, done_bytes: int) -> None:
        interrupt.check()  # between documents: a thread's shard stops here
        now = time.monotonic()
        if now < self._next:
            return
        self._next = now + self.interval
        text = json.dumps([items, done_bytes])
        try:
            if self.remote:  # one PUT: never seen partial
                self.path.write_text(text, encoding="utf-8")
                return
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:  # progress is a convenience; never fail a shard on it
            pass


class Tally:
    """The flow's side: finished tasks' totals plus what running ones reported.

    ``key`` names the tasks' progress files (``count``, ``clean``); ``label`` is what
    the reporter shows (a backfill's partition before the phase)."""

    def __init__(self, output: Path, key: str, label: str, total_bytes: int) -> None:
        self.output, self.key = output, key
        self.items = self.bytes = 0
        self.running: set[int] = set()
        self.total_bytes = total_bytes
        self.completed = False
        reporter().start(label, total_bytes, None)
        self.artifact = PrefectProgress(label)

    def started(self, index: int) -> None:
        self.running.add(index)

    def finished(self, index: int, items: int, done_bytes: int) -> None:
        self.running.discard(index)
        self.items += items
        self.bytes += done_bytes
        _path(self.output, self.key, index).unlink(missing_ok=True)
        self.poll()

    def poll(self) -> None:
        items, done = self.items, self.bytes
        for index in self.running:
            try:
                got = json.loads(_path(self.output, self.key, index).read_text("utf-8"))
            except (OSError, ValueError):
                continue
            items += int(got[0])
            done += int(got[1])
        done = min(done, self.total_bytes)
        reporter().update(items, done)
        self.artifact.update(done / max(self.total_bytes, 1), items)

    def complete(self) -> None:
        """Every task finished: the bar may show 100 %."""
        self.completed = True

    def close(self) -> None:
        """The bar shows 100 % only for a phase that completed (an interrupted or
        failed one stays where it was); the tasks' progress files go."""
        if self.completed:
            reporter().finish()
            self.artifact.update(1.0, self.items, force=True)
        remove_progress(self.output, self.key)


def run_tallied(
    body: Callable[..., R],
    items: Sequence[T],
    tally: Tally,
    opts: RunOptions,
    *,
    index: Callable[[T], int],
    arguments: Callable[[T], dict[str, Any]],
    done: Callable[[T, R], tuple[int, int]],
    shared: dict[str, Any],
) -> None:
    """A phase's tasks: one ``body`` task per item (a shard, or a group of shards) in
    plan order, with ``tally`` showing their progress. ``index(item)`` names the item's
    progress file, ``arguments(item)`` are its own arguments and ``shared`` every
    task's; ``done(item, result)`` takes a finished task's result and returns the
    documents and bytes it finished. The tally is closed however the phase ends."""
    send = functools.partial(submit, body, **shared)

    def start(item: T) -> Any:
        future = send(**arguments(item))
        tally.started(index(item))
        return future

    try:
        for item, result in run_in_order(start, items, slots(opts), tally.poll):
            tally.finished(index(item), *done(item, result))
        tally.complete()
    finally:
        tally.close()


def remove_progress(output: Path, key: str = "") -> None:
    """Remove the progress files of ``key`` (all when empty), and their folder once
    empty: a finished run leaves nothing under ``_state/progress/``."""
    folder = output / STATE_DIR / PROGRESS_DIR
    try:
        for p in folder.glob(f"{key}-*.json" if key else "*"):
            p.unlink(missing_ok=True)
        if not is_remote(folder):
            with contextlib.suppress(OSError):
                folder.rmdir()
    except OSError:
        pass


class PrefectProgress:
    """A phase's progress as a Prefect progress artifact (the run's page in the UI),
    when the run has Prefect's API; updated every ARTIFACT_INTERVAL_S at most."""

    def __init__(self, label: str) -> None:
        self.label, self.id, self._next = label, None, 0.0
        if is_plain() or "prefect" not in sys.modules:
            return
        try:
            from prefect.artifacts import create_progress_artifact
            from prefect.context import FlowRunContext

            if FlowRunContext.get() is None:
                return
            self.id = create_progress_artifact(0.0, description=f"textwash: {label}")
        except Exception:  # progress is a convenience; never fail a run on it
            self.id = None

    def update(self, share: float, items: int, force: bool = False) -> None:
        now = time.monotonic()
        if self.id is None or (now < self._next and not force):
            return
        self._next = now + ARTIFACT_INTERVAL_S
        try:
            from prefect.artifacts import update_progress_artifact

            description = f"textwash: {self.label}, {items:,} documents"
            update_progress_artifact(self.id, round(100 * share, 1), description=description)
        except Exception:
            self.id = None
