"""The output dataset, in a folder or under a bucket prefix: parts, markers, manifest.

Layout::

    OUTPUT/documents/part-00000.parquet   one row per clean document
    OUTPUT/removals/part-00000.parquet    one row per removed line
    OUTPUT/rejects/part-00000.parquet     one row per input that could not be cleaned
    OUTPUT/_shards/shard-00000.json       a committed shard: its inputs and counts
    OUTPUT/_manifest.json                 the run: shards, counts, config, versions
    OUTPUT/_staging/...                   shards finished by a run not yet committed

Every file is written whole or not at all (storage.write_atomic). A shard writes its
parts under ``_staging/`` (only for tables it has rows for), then its marker there
(listing those parts): a staged marker means the shard is complete. ``documents/*.parquet``
does not match ``_staging``, so a glob reader never sees a run's parts before the run
commits. At commit, each staged shard's parts are moved into place (a rename, or a
server-side copy on an object store, which has no rename), then its marker; a table with
no part at all gets one empty part, so a glob such as ``rejects/*.parquet`` always
matches; the manifest is written last. A run killed during commit leaves staged
markers, and the next run finishes moving them: moving is idempotent.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from .markers import ShardMarker
from .schema import SCHEMA_VERSION, TABLES
from .storage import is_remote, move, write_atomic

MANIFEST = "_manifest.json"
SHARDS_DIR = "_shards"
STAGING = "_staging"
_PART_RE = re.compile(r"part-(\d{5,})\.parquet$")


def remove_partial_files(output: Path) -> None:
    """Temporary files a killed or interrupted run was writing under ``_staging/``
    (no reader globs them; a shard run again writes its own): removed at the next run,
    which holds the dataset's lock."""
    staging = output / STAGING
    if is_remote(staging) or not staging.is_dir():  # an object is written whole: no partials
        return
    for tmp in staging.rglob(".*.tmp"):
        tmp.unlink(missing_ok=True)


def remove_empty_staging(output: Path) -> None:
    """The staging folders a commit emptied (locally; a bucket has no folders)."""
    staging = output / STAGING
    if is_remote(staging) or not staging.is_dir():
        return
    for folder in sorted((p for p in staging.rglob("*") if p.is_dir()), reverse=True):
        with contextlib.suppress(OSError):  # not empty: a shard another run staged
            folder.rmdir()
    with contextlib.suppress(OSError):
        staging.rmdir()


def part_name(index: int) -> str:
    return f"part-{index:05d}.parquet"


def write_parquet_atomic(table: pa.Table, path: Path) -> None:
    write_atomic(path, lambda fh: pq.write_table(table, fh, compression="zstd"))


def write_json_atomic(obj: Any, path: Path) -> None:
    # ASCII escapes: paths that are not UTF-8 (surrogates) survive the round trip.
    text = json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=True) + "\n"
    write_atomic(path, lambda fh: fh.write(text.encode("ascii")))


def read_table(path: Path, columns: list[str] | None = None) -> pa.Table:
    """A Parquet file of the dataset (local or remote) as one table."""
    with path.open("rb") as fh:
        return pq.read_table(fh, columns=columns)


def read_schema(path: Path) -> pa.Schema:
    with path.open("rb") as fh:
        return pq.read_schema(fh)


def marker_path(output: Path, index: int, staged: bool = False) -> Path:
    base = output / STAGING if staged else output
    return base / SHARDS_DIR / f"shard-{index:05d}.json"


def part_path(output: Path, table: str, index: int, staged: bool = False) -> Path:
    base = output / STAGING if staged else output
    return base / table / part_name(index)


def write_shard(
    output: Path, index: int, tables: dict[str, pa.Table | None], marker: ShardMarker
) -> ShardMarker:
    """Stage a shard's parts (tables with rows), then its marker (the shard's commit
    point), which lists them. A shard run again first loses its old staged marker and
    parts."""
    marker_path(output, index, staged=True).unlink(missing_ok=True)
    parts = []
    for table in TABLES:
        path = part_path(output, table, index, staged=True)
        if tables.get(table) is not None and tables[table].num_rows:
            write_parquet_atomic(tables[table], path)
            parts.append(table)
        else:
            path.unlink(missing_ok=True)
    marker = dataclasses.replace(marker, parts=parts)
    write_json_atomic(marker.to_dict(), marker_path(output, index, staged=True))
    return marker


def load_json(path: Path) -> dict | None:
    """A JSON file of the dataset; None if it is missing or unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _load_marker(path: Path) -> ShardMarker | None:
    data = load_json(path)
    return None if data is None else ShardMarker.from_dict(data)


def read_marker(output: Path, index: int) -> ShardMarker | None:
    """A finished shard's marker, staged (newer) or committed; None if its parts are
    not all there, or it is of a layout this version does not read."""
    for staged in (True, False):
        data = load_json(marker_path(output, index, staged))
        if data is None:
            continue
        marker = ShardMarker.from_dict(data)
        if marker is None:
            return None
        # A staged shard's part may already be in place (a commit cut short).
        ok = all(
            part_path(output, t, index, staged).exists() or part_path(output, t, index).exists()
            for t in marker.parts
        )
        return marker if ok else None
    return None


def marker_indexes(output: Path, staged: bool = False) -> list[int]:
    """The shard indexes with a marker, committed or (``staged``) not yet."""
    folder = (output / STAGING if staged else output) / SHARDS_DIR
    found = [m for p in _children(folder) if (m := _MARKER_RE.search(p.name))]
    return sorted(int(m.group(1)) for m in found)


def promote(output: Path, keep: set[int] | None) -> list[int]:
    """Move the staged shards (those in ``keep``; None: all) into the dataset: parts
    first, then a table the shard no longer has rows for loses its old part, then the
    marker. Idempotent, so a commit cut short is finished by the next run."""
    moved = []
    for index in marker_indexes(output, staged=True):
        if keep is not None and index not in keep:
            continue
        marker = _load_marker(marker_path(output, index, staged=True))
        if marker is None:
            continue
        for table in TABLES:
            staged, final = part_path(output, table, index, True), part_path(output, table, index)
            if staged.exists():
                final.parent.mkdir(parents=True, exist_ok=True)
                move(staged, final)
            elif table not in marker.parts:
                final.unlink(missing_ok=True)
        final_marker = marker_path(output, index)
        final_marker.parent.mkdir(parents=True, exist_ok=True)
        move(marker_path(output, index, staged=True), final_marker)
        moved.append(index)
    return moved


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
            meta = read_schema(part).metadata or {}
            return meta.get(b"textwash.schema_version", b"1.0").decode()
    return None


_MARKER_RE = re.compile(r"shard-(\d{5,})\.json$")


def _children(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir()) if folder.is_dir() else []
    except (FileNotFoundError, NotADirectoryError):
        return []


def remove_stale(output: Path, keep: set[int]) -> list[str]:
    """Delete parts and markers (committed or staged) of shards outside ``keep`` (from
    an earlier, larger plan) and temporary files a crashed run left behind."""
    removed = []
    for base in (output, output / STAGING):
        for folder in [*TABLES, SHARDS_DIR]:
            for p in _children(base / folder):
                m = _PART_RE.search(p.name) or _MARKER_RE.search(p.name)
                stale_tmp = p.name.startswith(".") and p.name.endswith(".tmp")
                if stale_tmp or (m and int(m.group(1)) not in keep):
                    p.unlink(missing_ok=True)
                    removed.append(_relative(p, output))
    return removed


def _relative(path: Path, root: Path) -> str:
    return str(path)[len(str(root)) :].lstrip("/")


def write_manifest(output: Path, manifest: dict) -> None:
    manifest = {"schema_version": SCHEMA_VERSION, **manifest}
    write_json_atomic(manifest, output / MANIFEST)


def read_manifest(output: Path) -> dict | None:
    return load_json(output / MANIFEST)
