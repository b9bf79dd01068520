"""Partitions of a backfill (no orchestrator here: the CLI plans before Prefect loads)."""

from __future__ import annotations

import glob
import os
from datetime import date, timedelta

from .storage import as_path, filesystem, is_url


def partition_paths(
    partitions: str | None = None,
    template: str | None = None,
    start: str | None = None,
    end: str | None = None,
) -> list[str]:
    """The partitions of a backfill: folders (or bucket prefixes) matching a glob, or a
    date range over a path template (``raw/date={date}``), existing ones only, in order.

    >>> partition_paths(template="raw/date={date}", start="2025-01-30", end="2025-02-01")
    []
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
        path = template.format(date=day.isoformat())
        if _exists(path):
            out.append(path)
        day += timedelta(days=1)
    return out


def _exists(path: str) -> bool:
    if is_url(path):
        fs, inner = filesystem(path)
        return bool(fs.exists(inner))
    return os.path.exists(path)


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
