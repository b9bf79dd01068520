"""Partitions of a backfill (no orchestrator here: the CLI plans before Prefect loads)."""

from __future__ import annotations

import glob
import os
from collections.abc import Callable
from datetime import date, timedelta

from cleaners.config import ConfigError

from .discovery import InputError, find_inputs
from .storage import as_path, filesystem, is_url


def partition_paths(
    partitions: str | None = None,
    template: str | None = None,
    start: str | None = None,
    end: str | None = None,
) -> list[str]:
    """The partitions of a backfill, in order: folders (or bucket prefixes) matching a
    glob, or every date of a range over a path template (``raw/date={date}``), whether
    or not its folder exists (a missing one is skipped with a warning, as an empty one).

    >>> partition_paths(template="raw/date={date}", start="2025-01-31", end="2025-02-01")
    ['raw/date=2025-01-31', 'raw/date=2025-02-01']
    """
    if partitions:
        if is_url(partitions):
            fs, path = filesystem(partitions)
            return sorted(fs.unstrip_protocol(p) for p in fs.glob(path))
        return sorted(p for p in glob.glob(partitions) if os.path.isdir(p) or os.path.isfile(p))
    if not (template and start and end):
        raise ValueError("give --partitions GLOB, or --template with --start and --end")
    day, last = date.fromisoformat(start), date.fromisoformat(end)
    if last < day:
        raise ValueError(f"--end {end} is before --start {start}")
    out = []
    while day <= last:
        out.append(template.format(date=day.isoformat()))
        day += timedelta(days=1)
    return out


def runnable_partitions(
    partitions: str | None,
    template: str | None,
    start: str | None,
    end: str | None,
    output: str,
    warn: Callable[[str], object],
) -> list[str]:
    """The partitions of a backfill that hold something to clean; each other one (empty,
    or missing) is skipped with ``warn``. Nothing to run is a ConfigError, one line, the
    same from the CLI and from a deployment."""
    try:
        paths = partition_paths(partitions, template, start, end)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if not paths:
        raise ConfigError("no partition matches")
    found = []
    for path in paths:
        try:
            find_inputs(path, partition_output(output, path))
        except InputError as exc:
            warn(f"skipped partition {path}: {exc}")
            continue
        found.append(path)
    if not found:
        raise ConfigError("no inputs found in any partition")
    return found


def partition_name(partition: str) -> str:
    """A partition's last path component (``date=2025-01-01``).

    >>> partition_name("s3://raw/date=2025-01-01/"), partition_name("raw/day2")
    ('date=2025-01-01', 'day2')
    """
    return partition.rstrip("/").rsplit("/", 1)[-1]


def partition_output(output: str, partition: str) -> str:
    """Where a partition's dataset goes: OUTPUT/<the partition's last path component>
    (``date=2025-01-01`` stays a Hive-style partition for DuckDB and Spark)."""
    name = partition_name(partition)
    if name in ("", ".", ".."):
        raise ValueError(f"cannot name a partition after {partition!r}")
    return str(as_path(output) / name)
