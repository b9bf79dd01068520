"""One writer per dataset: a lock in ``OUTPUT/_state/lock``."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from ..data.dataset import load_json
from ..data.storage import create_exclusive, is_remote
from . import STATE_DIR


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
