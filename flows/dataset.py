"""The output dataset on disk: atomic part writes, shard markers, the manifest.

Layout::

    OUTPUT/documents/part-00000.parquet   one row per clean document
    OUTPUT/removals/part-00000.parquet    one row per removed line
    OUTPUT/rejects/part-00000.parquet     one row per input that could not be cleaned
    OUTPUT/_shards/shard-00000.json       a finished shard: its inputs and counts
    OUTPUT/_manifest.json                 the run: shards, counts, config, versions

Every file is written under a temporary name in the same folder and renamed, so a
reader (or a crash) never sees a partial file. A shard writes a part only for a table
it has rows for, and its marker last (listing those parts), so a marker means the
shard is complete. At commit, a table with no part at all gets one empty part, so a
glob such as ``rejects/*.parquet`` always matches.
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


def marker_path(output: Path, index: int) -> Path:
    return output / SHARDS_DIR / f"shard-{index:05d}.json"


def write_shard(output: Path, index: int, rows: dict[str, list[dict]], marker: dict) -> None:
    """Write a shard's parts (tables with rows), then its marker (the commit point).

    A shard run again first loses its old marker, and the parts of tables it no
    longer has rows for: a crash half-way cannot leave old and new parts under a
    marker that looks finished.
    """
    marker_path(output, index).unlink(missing_ok=True)
    parts = []
    for table, schema in TABLES.items():
        path = output / table / part_name(index)
        if rows[table]:
            write_parquet_atomic(pa.Table.from_pylist(rows[table], schema=schema), path)
            parts.append(table)
        else:
            path.unlink(missing_ok=True)
    write_json_atomic({**marker, "parts": parts}, marker_path(output, index))


def read_marker(output: Path, index: int) -> dict | None:
    try:
        marker = json.loads(marker_path(output, index).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    tables = marker.get("parts", list(TABLES))  # 1.0 markers: every table had a part
    parts_ok = all((output / t / part_name(index)).exists() for t in tables)
    return marker if parts_ok else None


def ensure_parts(output: Path, index: int) -> None:
    """An empty part (named after shard ``index``) for each table with none, so that a
    glob over a table always matches and reads as zero rows with the schema."""
    for table, schema in TABLES.items():
        folder = output / table
        if not any(_PART_RE.search(p.name) for p in folder.glob("part-*.parquet")):
            write_parquet_atomic(schema.empty_table(), folder / part_name(index))


def dataset_version(output: Path) -> str | None:
    """The schema version of a dataset's parts (None: no parts yet)."""
    for table in TABLES:
        for part in sorted((output / table).glob("part-*.parquet")):
            meta = pq.read_schema(part).metadata or {}
            return meta.get(b"textwash.schema_version", b"1.0").decode()
    return None


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
