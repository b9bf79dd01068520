"""Where inputs and the dataset live: a local folder, or a URL fsspec knows.

``s3://``, ``gs://``, ``az://`` (and any other fsspec protocol whose package is
installed: ``pip install 'textwash[s3]'``) go through fsspec, with pathlib's API
(universal-pathlib), so the dataset code reads the same for both. Why fsspec rather
than ``pyarrow.fs``: s3fs resolves the endpoint and credentials as the AWS tools do
(``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``, profiles, instance roles), and it can
create an object only if it does not exist (``If-None-Match``), which the dataset's
lock needs; here ``pyarrow.fs`` ignores ``AWS_ENDPOINT_URL``.

Local paths stay plain ``pathlib.Path``: temporary file, fsync and rename, as before.
An object store has no rename, but a single PUT is all-or-nothing: a reader never sees
a partial object, so a remote file is written in one PUT from memory (parts are
bounded by the shard size), never streamed (fsspec would commit a half-written stream
when an exception closes it).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

# fsspec caches directory listings per process; another process (a Dask worker, the
# next run) writes the same prefixes, so a cached listing would be stale.
_FS_OPTIONS = {"use_listings_cache": False}


def is_url(spec: str | os.PathLike[str]) -> bool:
    """A URL fsspec should open (``file://`` is a local path).

    >>> is_url("s3://bucket/raw/"), is_url("raw/2025"), is_url("file://raw/2025")
    (True, False, False)
    """
    s = os.fspath(spec)
    return "://" in s and not s.startswith("file://")


def local_path(spec: str | os.PathLike[str]) -> str:
    """A local spec without its ``file://`` scheme.

    >>> local_path("file://raw/2025"), local_path("raw")
    ('raw/2025', 'raw')
    """
    s = os.fspath(spec)
    return s[len("file://") :] if s.startswith("file://") else s


def as_path(spec: str | os.PathLike[str]) -> Path:
    """A local ``Path``, or a universal-pathlib path for a URL."""
    if isinstance(spec, Path):
        return spec
    if not is_url(spec):
        return Path(local_path(spec))
    from upath import UPath

    return UPath(os.fspath(spec), **_FS_OPTIONS)


def is_remote(path: Path) -> bool:
    return getattr(path, "protocol", "") not in ("", "file", "local")


def filesystem(spec: str) -> tuple[Any, str]:
    """(fsspec filesystem, path inside it) for a URL."""
    import fsspec

    fs, path = fsspec.core.url_to_fs(spec, **_FS_OPTIONS)
    return fs, path


def write_atomic(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Write a file so that nobody ever sees it partial: locally a temporary file in
    the same folder, fsync, rename; remotely one PUT of the whole content."""
    if is_remote(path):
        import io

        buf = io.BytesIO()
        write(buf)
        path.write_bytes(buf.getvalue())
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _create_temporary(path)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _create_temporary(path: Path) -> tuple[int, str]:
    """A new file beside ``path`` (``.NAME.<random>.tmp``) with the permissions the
    umask gives (0644 under 022), as any file the user creates: ``tempfile.mkstemp``
    makes it 0600, and the rename would keep that, so other readers of a shared
    dataset could not open it."""
    for _ in range(100):
        tmp = str(path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")


def move(src: Path, dst: Path) -> None:
    """Put ``src`` in place of ``dst``: a rename locally, a server-side copy and a
    delete on an object store (no rename there)."""
    if is_remote(src):
        src.fs.mv(src.path, dst.path)  # type: ignore[attr-defined]
    else:
        os.replace(src, dst)


def create_exclusive(path: Path, data: bytes) -> bool:
    """Create the object ``path`` holding ``data`` only if it does not exist; False if
    it does (a local dataset locks with ``flock`` instead).

    fsspec's ``mode="create"``: a conditional PUT (``If-None-Match: *``) in s3fs; a
    package that does not implement it gets fsspec's generic check-then-write, which
    two writers racing within one round trip could both pass.
    """
    try:
        path.fs.pipe_file(path.path, data, mode="create")  # type: ignore[attr-defined]
    except FileExistsError:
        return False
    return True


@contextlib.contextmanager
def open_input(path: str, *, decompress: bool = False) -> Iterator[IO[bytes]]:
    """Open an input file (a local path, or a URL) for reading bytes. Every input
    opens one way, local or remote: through fsspec, which with ``decompress``
    decompresses a ``.gz`` by its name (``compression="infer"``)."""
    import fsspec
    from fsspec.implementations.local import LocalFileSystem

    fs, inner = filesystem(path) if is_url(path) else (LocalFileSystem(), path)
    compression = "infer" if decompress else None
    with fsspec.core.OpenFile(fs, inner, "rb", compression=compression) as fh:
        yield fh
