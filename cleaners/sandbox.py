"""Run a function in a child process that is killed when it runs past a time limit.

A limit kept inside the calling process cannot stop a call in C code (one lxml parse):
a signal handler or an exception injected into a thread runs only at the next Python
bytecode, in whatever frame that is, where a broad ``except`` may swallow it. A child
process can be killed at any instruction. Each thread that calls keeps one child,
started on its first call and reused; a call past its limit kills the child, and the
next call starts a fresh one (as datatrove's extractor sandbox does).

The child is this interpreter started by ``subprocess``, not ``multiprocessing``,
whose children Dask's daemonic worker processes may not have. Calls travel over its
stdin and stdout as length-prefixed pickles. It ends with its parent: at end of file
on stdin, and on Linux by ``PR_SET_PDEATHSIG`` when the thread that started it ends;
it ignores SIGINT and SIGTERM, which a process group receives together.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import threading
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, TypeVar

T = TypeVar("T")

_HEADER = struct.Struct("<Q")
_START_TIMEOUT_S = 120.0  # importing trafilatura on a loaded machine takes seconds
_PACKAGE = __name__.rpartition(".")[0]
# The child loads this package's modules from the same files as its parent, under a
# bare package: its __init__ would load the word data and the line model, 2 s and
# 20 MB more per child, for nothing (the called function imports what it needs).
_BOOT = (
    "import sys, types; package = types.ModuleType(sys.argv[1]); "
    "package.__path__ = [sys.argv[2]]; sys.modules[sys.argv[1]] = package; "
    "from importlib import import_module; "
    "import_module(sys.argv[1] + '.sandbox').serve(int(sys.argv[3]), sys.argv[4:])"
)


class TimeLimit(Exception):
    """The call ran past its limit; its child was killed."""


class ChildDied(Exception):
    """The child ended during a call (a crash in C code, or killed from outside)."""


class _Child:
    """One child process and the pipes to it."""

    def __init__(self, preload: tuple[str, ...]) -> None:
        self.owner = os.getpid()  # a fork's copy must not use or kill its parent's child
        package_dir = str(Path(__file__).parent)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _BOOT, _PACKAGE, package_dir, str(self.owner), *preload],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self._end = weakref.finalize(self, _end, self.proc, self.owner)
        try:
            if not _readable(self.proc.stdout, _START_TIMEOUT_S):
                raise RuntimeError(f"the extraction process did not start in {_START_TIMEOUT_S} s")
            _receive(self.proc.stdout)  # "ready"
        except EOFError:
            self.stop()
            raise RuntimeError(
                f"the extraction process exited on start ({self.proc.returncode}); "
                "its error is above"
            ) from None
        except BaseException:
            self.stop()
            raise

    def call(self, function: Callable[..., T], args: tuple[Any, ...], timeout_s: float) -> T:
        try:
            _send(self.proc.stdin, (function, args))
            if not _readable(self.proc.stdout, timeout_s):
                raise TimeLimit
            ok, value = _receive(self.proc.stdout)
        except (EOFError, BrokenPipeError):
            self.stop()
            raise ChildDied(_died(self.proc.returncode)) from None
        except BaseException:  # past the limit, or interrupted: the reply is not read
            self.stop()
            raise
        if not ok:
            raise value
        return value

    def alive(self) -> bool:
        return self.owner == os.getpid() and self.proc.poll() is None

    def stop(self) -> None:
        self._end()


def _end(proc: subprocess.Popen[bytes], owner: int) -> None:
    if owner == os.getpid():
        proc.kill()
        proc.wait()
    for stream in (proc.stdin, proc.stdout):
        with contextlib.suppress(OSError):
            stream.close()  # type: ignore[union-attr]


def _died(returncode: int | None) -> str:
    if returncode is not None and returncode < 0:
        with contextlib.suppress(ValueError):  # a real-time signal has no name
            return f"the extraction process died of {signal.Signals(-returncode).name}"
        return f"the extraction process died of signal {-returncode}"
    return f"the extraction process exited ({returncode})"


_local = threading.local()


def call(
    function: Callable[..., T], args: tuple[Any, ...], timeout_s: float, preload: tuple[str, ...]
) -> T:
    """``function(*args)`` in this thread's child, or ``TimeLimit`` after ``timeout_s``.

    ``function`` travels by name, ``args`` and its result by pickle; an exception it
    raises is raised here. ``ChildDied``: the child ended during the call. A new child
    imports the modules ``preload`` names before its first call: not against the limit.
    """
    child: _Child | None = getattr(_local, "child", None)
    if child is None or not child.alive():
        _local.child = child = _Child(preload)
    return child.call(function, args, timeout_s)


def _send(stream: IO[bytes] | None, message: object) -> None:
    data = pickle.dumps(message, pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)))  # type: ignore[union-attr]
    stream.write(data)  # type: ignore[union-attr]
    stream.flush()  # type: ignore[union-attr]


def _receive(stream: IO[bytes] | None) -> Any:
    header = stream.read(_HEADER.size)  # type: ignore[union-attr]
    if len(header) < _HEADER.size:
        raise EOFError
    (size,) = _HEADER.unpack(header)
    data = stream.read(size)  # type: ignore[union-attr]
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)


def _readable(stream: IO[bytes] | None, timeout_s: float) -> bool:
    poller = select.poll()
    poller.register(stream.fileno(), select.POLLIN)  # type: ignore[union-attr]
    # Also true at end of file. poll takes milliseconds, up to a C int (24 days).
    return bool(poller.poll(min(max(timeout_s * 1000, 1), 2**31 - 1)))


def serve(parent: int, preload: list[str]) -> None:
    """The child's loop: read a call, answer it, until its parent goes."""
    if sys.platform == "linux":  # killed when the parent's thread that started it ends
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent went before prctl took effect
        return
    # Ctrl-C or a stop sent to the process group is the parent's to handle: a page cut
    # short here would be a false reject if the parent finishes its work first.
    for stop in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop, signal.SIG_IGN)
    # The replies own stdout; anything the called code prints goes to stderr.
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    calls = sys.stdin.buffer
    for name in preload:
        importlib.import_module(name)
    _send(replies, "ready")
    while True:
        try:
            function, args = _receive(calls)
        except EOFError:  # the parent closed the pipe, or died
            return
        try:
            reply = (True, function(*args))
        except Exception as exc:
            reply = (False, exc)
        try:
            _send(replies, reply)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:  # nothing written
            _send(replies, (False, RuntimeError(f"the reply does not pickle: {exc!r}")))
