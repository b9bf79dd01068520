"""Find the input files of a run: every file under a folder, a single file, or the
files a glob matches, on a local disk or an object store; and what each one is by its
name (its format, whether it is gzip-compressed).

Hidden files and textwash datasets (this run's output among them) are never input;
other files with an unsupported suffix are kept so that they are rejected, not lost.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .storage import filesystem, is_url, local_path

TEXT_SUFFIXES = {".txt": "txt", ".text": "txt", ".html": "html", ".htm": "html"}
RECORD_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
SUPPORTED = {**TEXT_SUFFIXES, **RECORD_SUFFIXES}


@dataclass(frozen=True)
class InputFile:
    path: str  # absolute, as the filesystem knows it
    rel: str  # relative to the input root: the document's source
    size: int
    mtime_ns: int

    @property
    def fingerprint(self) -> str:
        return f"{self.size}:{self.mtime_ns}"


class InputError(Exception):
    """The input path itself is unusable (not found, nothing to read)."""


def format_of(name: str) -> tuple[str | None, bool]:
    lower = name.lower()
    gz = lower.endswith(".gz")
    if gz:
        lower = lower[:-3]
    return SUPPORTED.get(os.path.splitext(lower)[1]), gz


# A folder holding any of these is a textwash dataset (ours or another run's): never
# input, so a dataset written inside its own input folder is not read back.
DATASET_MARKERS = ("_manifest.json", "_shards", "_state")


def is_dataset(folder: str | os.PathLike[str]) -> bool:
    return any(os.path.exists(os.path.join(folder, m)) for m in DATASET_MARKERS)


def discover(
    spec: str | os.PathLike[str],
    *,
    exclude: tuple[str | os.PathLike[str], ...] = (),
    prefix: str = "",
) -> list[InputFile]:
    """All files under a folder, a single file, or a glob, sorted by relative path.

    A document's ``rel`` (its ``source``) is its path relative to the input root: the
    folder given; a file's own folder; a glob's folder before its first wildcard. It
    does not depend on how the root is spelled (relative, absolute, ``./``, a trailing
    slash). ``prefix`` goes before it (a backfill's partition name).

    Hidden files and folders (``.gitkeep``, ``.DS_Store``) and textwash datasets (a
    folder with ``_manifest.json``, ``_shards`` or ``_state``; the ``exclude`` folders,
    such as this run's output) are skipped; other files with an unsupported suffix are
    kept so that they are rejected, not lost.
    """
    spec = str(spec) if is_url(str(spec)) else local_path(os.fspath(spec))
    if is_url(spec):
        return _discover_url(spec, exclude, prefix)
    skip = {os.path.realpath(local_path(str(p))) for p in exclude if not is_url(str(p))}

    def excluded(folder: str) -> bool:
        return os.path.realpath(folder) in skip or is_dataset(folder)

    root, paths = _local_paths(spec, excluded)
    files = []
    for p in paths:
        try:
            st = os.stat(p)
        except OSError:
            st = None  # a dangling link: read_file will reject it with the reason
        rel = os.path.relpath(p, root).replace(os.sep, "/")
        # A name that is not UTF-8 is shown with escapes; ``path`` still opens it.
        rel = rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        if prefix:
            rel = f"{prefix}/{rel}"
        files.append(
            InputFile(os.path.abspath(p), rel, st.st_size if st else 0, st.st_mtime_ns if st else 0)
        )
    files.sort(key=lambda f: f.rel)
    return files


def _local_paths(spec: str, excluded: Callable[[str], bool]) -> tuple[str, list[str]]:
    """The input root of a local folder, file or glob, and the paths of its files
    (hidden ones and those in excluded folders left out)."""
    if os.path.isdir(spec):
        root = spec
        paths = []
        if not excluded(spec):
            for dirpath, dirnames, filenames in os.walk(spec, followlinks=False):
                dirnames[:] = sorted(
                    d
                    for d in dirnames
                    if not d.startswith(".") and not excluded(os.path.join(dirpath, d))
                )
                paths.extend(os.path.join(dirpath, f) for f in filenames if not f.startswith("."))
    elif os.path.isfile(spec):
        root = os.path.dirname(spec) or "."
        paths = [spec]
    elif glob.has_magic(spec):
        parts = Path(spec).parts
        static = [p for p in parts[: next(i for i, p in enumerate(parts) if glob.has_magic(p))]]
        root = str(Path(*static)) if static else "."
        paths = [
            p
            for p in glob.glob(spec, recursive=True)
            if os.path.isfile(p) and not _in_dataset(p, root, excluded)
        ]
    else:
        raise InputError(f"input not found: {spec}")
    return root, paths


def _discover_url(spec: str, exclude: tuple, prefix: str) -> list[InputFile]:
    """``discover`` on an object store: one listing of the prefix (or the glob), then
    the same rules as for a folder."""
    fs, path = filesystem(spec)
    skip = [filesystem(str(e))[1].rstrip("/") + "/" for e in exclude if is_url(str(e))]
    if glob.has_magic(path):
        parts = path.split("/")
        root = "/".join(parts[: next(i for i, p in enumerate(parts) if glob.has_magic(p))])
        found = {p: i for p, i in fs.glob(path, detail=True).items() if i.get("type") == "file"}
    elif fs.isfile(path):
        root, found = path.rsplit("/", 1)[0], {path: fs.info(path)}
    else:
        root = path.rstrip("/")
        found = fs.find(root, detail=True)
        if not found and not fs.isdir(root):
            raise InputError(f"input not found: {spec}")
    rels = {p: p[len(root) :].lstrip("/") for p in found}
    # Folders that hold a dataset marker are datasets: nothing under them is input.
    datasets = {
        "".join(f"{folder}/" for folder in rel.split("/")[:i])
        for rel in rels.values()
        for i, part in enumerate(rel.split("/"))
        if part in DATASET_MARKERS
    }
    files = []
    for p, info in found.items():
        rel = rels[p]
        if any(part.startswith(".") for part in rel.split("/")):
            continue
        if any(rel.startswith(d) for d in datasets) or any((p + "/").startswith(s) for s in skip):
            continue
        if prefix:
            rel = f"{prefix}/{rel}"
        files.append(
            InputFile(fs.unstrip_protocol(p), rel, int(info.get("size") or 0), _mtime_ns(info))
        )
    files.sort(key=lambda f: f.rel)
    return files


def _mtime_ns(info: dict) -> int:
    """An object's modification time in ns, whichever key its store uses."""
    from datetime import datetime

    for key in ("LastModified", "mtime", "updated", "last_modified", "created"):
        value = info.get(key)
        if isinstance(value, datetime):
            return int(value.timestamp() * 1e9)
        if isinstance(value, int | float):
            return int(value * 1e9)
        if isinstance(value, str) and value:
            try:
                return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1e9)
            except ValueError:
                continue
    return 0


def _in_dataset(path: str, root: str, excluded: Callable[[str], bool]) -> bool:
    """Is a file of a glob inside a dataset folder (between the root and the file)?"""
    folder = os.path.dirname(os.path.abspath(path))
    stop = os.path.dirname(os.path.abspath(root))
    while folder and folder != stop:
        if excluded(folder):
            return True
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    return False


def find_inputs(input: str, output: str | os.PathLike[str]) -> list[InputFile]:
    """The files a run of ``input`` into ``output`` would read; none is an InputError
    (and so is a bucket that cannot be listed, in the store's own words)."""
    try:
        files = discover(input, exclude=(str(output),))
    except InputError:
        raise
    except Exception as exc:
        if not is_url(input):
            raise
        raise InputError(f"cannot list {input}: {type(exc).__name__}: {exc}") from None
    if not files:
        local = not is_url(input) and os.path.isdir(input)
        what = "a textwash dataset" if local and is_dataset(input) else "it"
        raise InputError(
            f"no inputs found in {input} (hidden files and datasets are skipped; "
            f"{what} holds nothing to clean)"
        )
    return files
