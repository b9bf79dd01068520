"""The inputs a dataset has seen, and a pending plan: what incremental runs read.

Append-only runs for schedules clean only the inputs a dataset has not seen.

The dataset remembers every input it has cleaned in ``_state/inputs.parquet`` (path,
size:mtime fingerprint, SHA-256 of the bytes). A scheduled run plans shards for the
new inputs only, numbered after the existing ones, so it adds parts and never
rewrites them. A file whose mtime changed but whose bytes did not is not new.

The plan of a run is written to ``_state/pending.json`` before any shard runs, so a
run killed half-way is finished, shard for shard, by the next one before it looks
for new inputs. (A lock keeps two runs off one dataset at once: ``lock.py``.)
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path
from typing import Any

import pyarrow as pa

from ..data.dataset import (
    load_json,
    marker_indexes,
    read_table,
    write_json_atomic,
    write_parquet_atomic,
)
from ..data.discovery import InputFile
from ..data.storage import is_url, open_input
from . import STATE_DIR

INPUTS = "inputs.parquet"
PENDING = "pending.json"
INPUTS_SCHEMA = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),
        pa.field("fingerprint", pa.string(), nullable=False),
        pa.field("sha256", pa.string(), nullable=False),
    ]
)


def file_sha256(path: str) -> str:
    """SHA-256 of a regular file's (or object's) bytes; "" for anything else (a FIFO
    would block)."""
    if not is_url(path) and not stat.S_ISREG(os.stat(path).st_mode):
        return ""
    h = hashlib.sha256()
    with open_input(path) as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def load_seen(output: Path) -> dict[str, tuple[str, str]]:
    """source -> (fingerprint, sha256) of every input the dataset has cleaned."""
    path = output / STATE_DIR / INPUTS
    if not path.exists():
        return {}
    t = read_table(path)
    return {
        s: (fp, sha)
        for s, fp, sha in zip(
            t["source"].to_pylist(),
            t["fingerprint"].to_pylist(),
            t["sha256"].to_pylist(),
            strict=True,
        )
    }


def save_seen(output: Path, seen: dict[str, tuple[str, str]]) -> None:
    rows = sorted(seen.items())
    table = pa.table(
        [[s for s, _ in rows], [fp for _, (fp, _) in rows], [sha for _, (_, sha) in rows]],
        schema=INPUTS_SCHEMA,
    )
    write_parquet_atomic(table, output / STATE_DIR / INPUTS)


def new_inputs(
    files: list[InputFile], seen: dict[str, tuple[str, str]]
) -> tuple[list[InputFile], dict[str, tuple[str, str]]]:
    """The files not seen before, and the (fingerprint, sha256) of every file looked at.

    Only a file whose fingerprint is new is hashed, so a scheduled run over a large,
    slowly growing folder reads the new files, not the whole folder.
    """
    new: list[InputFile] = []
    identities: dict[str, tuple[str, str]] = {}
    for f in files:
        known = seen.get(f.rel)
        if known and known[0] == f.fingerprint:
            continue
        try:
            sha = file_sha256(f.path)
        except OSError:
            sha = ""  # unreadable: cleaned (and rejected, with the reason) as new
        if known and sha and known[1] == sha:
            identities[f.rel] = (f.fingerprint, sha)  # touched, not changed
            continue
        new.append(f)
        identities[f.rel] = (f.fingerprint, sha)
    return new, identities


def next_index(output: Path) -> int:
    """One past the highest shard index in the dataset."""
    indexes = marker_indexes(output) + marker_indexes(output, staged=True)
    return max(indexes, default=-1) + 1


def load_pending(
    output: Path,
) -> tuple[list[dict[str, Any]], dict[str, tuple[str, str]]] | None:
    """The pending plan's shards (as ``Shard.to_dict`` wrote them) and inputs."""
    data = load_json(output / STATE_DIR / PENDING)
    if data is None:
        return None
    return data["shards"], {k: tuple(v) for k, v in data["inputs"].items()}  # type: ignore[misc]


def save_pending(
    output: Path, shards: list[dict[str, Any]], identities: dict[str, tuple[str, str]]
) -> None:
    write_json_atomic({"shards": shards, "inputs": identities}, output / STATE_DIR / PENDING)


def clear_pending(output: Path) -> None:
    (output / STATE_DIR / PENDING).unlink(missing_ok=True)
