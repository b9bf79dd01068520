"""The output dataset on disk: atomic part writes, shard markers, the manifest.

Layout::

    OUTPUT/documents/part-00000.parquet   one row per clean document
    OUTPUT/removals/part-00000.parquet    one row per removed line
    OUTPUT/rejects/part-00000.parquet     one row per input that could not be cleaned
    OUTPUT/_shards/shard-00000.json       a finished shard: its inputs and counts
    OUTPUT/_manifest.json                 the run: shards, counts, config, versions

Every file is written under a temporary name in the same folder and renamed, so a
reader (or a crash) never sees a partial file. A shard marker is written after its
three parts, so a marker means the shard is complete.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from .schema import SCHEMA_VERSION, TABLES

MANIFEST = "_manifest.json"
SHARDS_DIR = "_shards"
_PART_RE = re.compile(r"part-(\d{5,})\.parquet$")


def part_name(index: int) -> str:
    return f"part-{index:05d}.parquet"


def _atomic_target(path: Path) -> tuple[int, str]:
    path.parent.mkdir(parents=True, exist_ok=True)
    return tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")


def write_parquet_atomic(table: pa.Table, path: Path) -> None:
    fd, tmp = _atomic_target(path)
    os.close(fd)
    try:
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json_atomic(obj: Any, path: Path) -> None:
    fd, tmp = _atomic_target(path)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            # ASCII escapes: paths that are not UTF-8 (surrogates) survive the round trip.
            json.dump(obj, fh, indent=2, sort_keys=True, ensure_ascii=True)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_shard(output: Path, index: int, rows: dict[str, list[dict]], marker: dict) -> None:
    """Write a shard's three parts, then its marker (the commit point)."""
    for table, schema in TABLES.items():
        data = pa.Table.from_pylist(rows[table], schema=schema)
        write_parquet_atomic(data, output / table / part_name(index))
    write_json_atomic(marker, output / SHARDS_DIR / f"shard-{index:05d}.json")


def read_marker(output: Path, index: int) -> dict | None:
    path = output / SHARDS_DIR / f"shard-{index:05d}.json"
    try:
        marker = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    parts_ok = all((output / t / part_name(index)).exists() for t in TABLES)
    return marker if parts_ok else None


def remove_stale(output: Path, keep: set[int]) -> list[str]:
    """Delete parts and markers of shards outside ``keep`` (from an earlier, larger plan)
    and temporary files a crashed run left behind."""
    removed = []
    for folder in [*TABLES, SHARDS_DIR]:
        d = output / folder
        if not d.is_dir():
            continue
        for p in d.iterdir():
            m = _PART_RE.search(p.name) or re.search(r"shard-(\d{5,})\.json$", p.name)
            stale_tmp = p.name.startswith(".") and p.name.endswith(".tmp")
            if stale_tmp or (m and int(m.group(1)) not in keep):
                p.unlink(missing_ok=True)
                removed.append(str(p.relative_to(output)))
    return removed


def write_manifest(output: Path, manifest: dict) -> None:
    manifest = {"schema_version": SCHEMA_VERSION, **manifest}
    write_json_atomic(manifest, output / MANIFEST)


def read_manifest(output: Path) -> dict | None:
    try:
        return json.loads((output / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
