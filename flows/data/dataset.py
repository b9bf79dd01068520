"""The output dataset, in a folder or under a bucket prefix: parts, markers, manifest.

Layout::

    OUTPUT/documents/part-00000-<tag>.parquet   one row per clean document
    OUTPUT/removals/part-00000-<tag>.parquet    one row per removed line
    OUTPUT/rejects/part-00000-<tag>.parquet     one row per input that could not be cleaned
    OUTPUT/_shards/shard-00000.json             a committed shard: its inputs and counts
    OUTPUT/_manifest.json                       the run: shards, parts, counts, config
    OUTPUT/_staging/...                         shards finished, not yet committed

Every file is written whole or not at all (storage.write_atomic). A shard writes its
parts under ``_staging/`` (only for tables it has rows for), then its marker there
(listing those parts): a staged marker means the shard is complete. A part's name
holds the shard's number and a tag new each time the shard is cleaned, so a part the
manifest lists is never overwritten: the commit (``flows/commit.py``) moves new parts
in beside the old ones, then writes the manifest, then deletes what it no longer
lists.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re
import secrets
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ..state.markers import ShardMarker
from .schema import SCHEMA_VERSION, TABLES
from .storage import is_remote, write_atomic

MANIFEST = "_manifest.json"
SHARDS_DIR = "_shards"
STAGING = "_staging"
_PART_RE = re.compile(r"part-(\d{5,})(?:-[0-9a-f]+)?\.parquet$")


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


def part_name(index: int, tag: str = "") -> str:
    """A part's file name: the shard's number, and its tag (none before 1.2).

    >>> part_name(3, "0a1b2c3d"), part_name(3)
    ('part-00003-0a1b2c3d.parquet', 'part-00003.parquet')
    """
    return f"part-{index:05d}-{tag}.parquet" if tag else f"part-{index:05d}.parquet"


def new_tag() -> str:
    return secrets.token_hex(4)


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


def part_path(output: Path, table: str, index: int, staged: bool = False, tag: str = "") -> Path:
    base = output / STAGING if staged else output
    return base / table / part_name(index, tag)


def write_shard(
    output: Path, index: int, tables: dict[str, pa.Table | None], marker: ShardMarker
) -> ShardMarker:
    """Stage a shard's parts (tables with rows, under a new tag), then its marker (the
    shard's commit point), which lists them. A shard run again first loses its old
    staged marker and parts."""
    marker_path(output, index, staged=True).unlink(missing_ok=True)
    for table in TABLES:
        for old in _children(output / STAGING / table):
            if (m := _PART_RE.search(old.name)) and int(m.group(1)) == index:
                old.unlink(missing_ok=True)
    tag, parts = new_tag(), []
    for table in TABLES:
        if tables.get(table) is not None and tables[table].num_rows:
            write_parquet_atomic(tables[table], part_path(output, table, index, True, tag))
            parts.append(table)
    marker = dataclasses.replace(marker, parts=parts, tag=tag)
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


def find_marker(output: Path, index: int) -> tuple[ShardMarker, bool] | None:
    """A finished shard's marker and whether it is staged (staged is newer than
    committed); None if its parts are not all there, or it is of a layout this
    version does not read."""
    for staged in (True, False):
        data = load_json(marker_path(output, index, staged))
        if data is None:
            continue
        marker = ShardMarker.from_dict(data)
        if marker is None:
            return None
        ok = all(part_path(output, t, index, staged, marker.tag).exists() for t in marker.parts)
        return (marker, staged) if ok else None
    return None


def read_marker(output: Path, index: int) -> ShardMarker | None:
    found = find_marker(output, index)
    return None if found is None else found[0]


def marker_parts(marker: ShardMarker) -> dict[str, str]:
    """table -> the path of the shard's part, relative to the dataset."""
    return {t: f"{t}/{part_name(marker.index, marker.tag)}" for t in marker.parts}


def marker_indexes(output: Path, staged: bool = False) -> list[int]:
    """The shard indexes with a marker, committed or (``staged``) not yet."""
    folder = (output / STAGING if staged else output) / SHARDS_DIR
    found = [m for p in _children(folder) if (m := _MARKER_RE.search(p.name))]
    return sorted(int(m.group(1)) for m in found)


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


def dataset_files(output: Path) -> list[str]:
    """The parts and markers in the dataset's folders (and temporary files a killed
    run left there), relative to it: what a commit keeps or deletes."""
    found = []
    for folder in [*TABLES, SHARDS_DIR]:
        for p in _children(output / folder):
            tmp = p.name.startswith(".") and p.name.endswith(".tmp")
            if tmp or _PART_RE.search(p.name) or _MARKER_RE.search(p.name):
                found.append(f"{folder}/{p.name}")
    return found


def write_manifest(output: Path, manifest: dict) -> None:
    manifest = {"schema_version": SCHEMA_VERSION, **manifest}
    write_json_atomic(manifest, output / MANIFEST)


def read_manifest(output: Path) -> dict | None:
    return load_json(output / MANIFEST)
