"""Append-only runs for schedules: clean only the inputs a dataset has not seen.

The dataset remembers every input it has cleaned in ``_state/inputs.parquet`` (path,
size:mtime fingerprint, SHA-256 of the bytes). A scheduled run plans shards for the
new inputs only, numbered after the existing ones, so it adds parts and never
rewrites them. A file whose mtime changed but whose bytes did not is not new.

The plan of a run is written to ``_state/pending.json`` before any shard runs, so a
run killed half-way is finished, shard for shard, by the next one before it looks
for new inputs. A lock file keeps two runs off one dataset at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import socket
import stat
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

from .dataset import (
    load_json,
    marker_indexes,
    read_table,
    write_json_atomic,
    write_parquet_atomic,
)
from .linestats import STATE_DIR
from .readers import InputFile
from .shards import Shard
from .storage import create_exclusive, is_remote, is_url, open_input

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


def load_pending(output: Path) -> tuple[list[Shard], dict[str, tuple[str, str]]] | None:
    data = load_json(output / STATE_DIR / PENDING)
    if data is None:
        return None
    shards = [Shard.from_dict(s) for s in data["shards"]]
    return shards, {k: tuple(v) for k, v in data["inputs"].items()}  # type: ignore[misc]


def save_pending(output: Path, shards: list[Shard], identities: dict[str, tuple[str, str]]) -> None:
    write_json_atomic(
        {"shards": [s.to_dict() for s in shards], "inputs": identities},
        output / STATE_DIR / PENDING,
    )


def clear_pending(output: Path) -> None:
    (output / STATE_DIR / PENDING).unlink(missing_ok=True)


class DatasetBusy(RuntimeError):
    """Another run holds the dataset's lock."""


LOCK = "lock"
# An object-store lock not renewed for this long belongs to a run that died on another
# machine; the holder renews it every LEASE_S / 4.
LEASE_S = 300.0


@contextlib.contextmanager
def dataset_lock(output: Path) -> Iterator[None]:
    """One writer per dataset. A local dataset: an exclusive ``flock`` (released if the
    process dies). On an object store, which has no locks: see ``object_lock``."""
    path = output / STATE_DIR / LOCK
    if is_remote(output):
        with object_lock(path, str(output)):
            yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DatasetBusy(f"another textwash run is writing {output}") from None
        yield
    finally:
        os.close(fd)


def _abandoned(holder: dict | None, now: float) -> bool:
    """Is the run that holds a lock gone? On this machine: its process is not alive.
    Elsewhere: it has not renewed the lease."""
    if holder is None:
        return True
    if holder.get("host") == socket.gethostname():
        try:
            os.kill(int(holder["pid"]), 0)
        except ProcessLookupError:
            return True
        except (PermissionError, KeyError, ValueError, TypeError):
            pass
    return now - float(holder.get("renewed", 0)) > LEASE_S


@contextlib.contextmanager
def object_lock(path: Path, name: str) -> Iterator[None]:
    """A lock as an object created only if absent (a conditional PUT, ``If-None-Match``).

    The object says who holds it (host, pid, a token) and when it last renewed it; a
    thread renews it every ``LEASE_S / 4``. A lock whose holder is gone (a dead process
    on this machine, or no renewal for ``LEASE_S``) is taken over, so a killed run is
    resumed by the next one. Between reading an abandoned lock and taking it over, two
    new runs could both see it abandoned: the conditional create lets only one of them
    in.
    """
    token = uuid.uuid4().hex

    def body() -> bytes:
        me = {"host": socket.gethostname(), "pid": os.getpid(), "token": token}
        return json.dumps({**me, "renewed": time.time()}).encode()

    if not create_exclusive(path, body()):
        holder = load_json(path)
        if not _abandoned(holder, time.time()):
            who = f"{holder.get('host')}:{holder.get('pid')}" if holder else "?"
            raise DatasetBusy(
                f"another textwash run ({who}) is writing {name}; a lock not renewed for "
                f"{LEASE_S:.0f} s is taken over"
            )
        path.unlink(missing_ok=True)
        if not create_exclusive(path, body()):
            raise DatasetBusy(f"another textwash run took the lock of {name} first")
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(LEASE_S / 4):
            holder = load_json(path)
            if holder is None or holder.get("token") != token:
                return  # taken over (we looked dead): stop renewing
            with contextlib.suppress(OSError):
                path.write_bytes(body())

    thread = threading.Thread(target=renew, name="textwash-lock", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        holder = load_json(path)
        if holder is not None and holder.get("token") == token:
            path.unlink(missing_ok=True)
