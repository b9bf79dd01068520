"""Find the input files of a run: every file under a folder, a single file, or the
files a glob matches, on a local disk or an object store; and what each one is by its
name (its format, whether it is gzip-compressed).

Hidden files and textwash datasets (this run's output among them) are never input;
other files with an unsupported suffix are kept so that they are rejected, not lost.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Callable
from dataclasses import dataclass

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
_MARKERS = frozenset(DATASET_MARKERS)


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

    What a folder or a glob finds leaves out hidden files and folders (``.gitkeep``,
    ``.DS_Store``), textwash datasets (a folder with ``_manifest.json``, ``_shards`` or
    ``_state``) and the ``exclude`` folders (such as this run's output); other files
    with an unsupported suffix are kept so that they are rejected, not lost. A file
    named on its own is read whatever its name. Local and remote inputs follow these
    rules in one place; only the listing differs (see ``_local_listing``).
    """
    spec = str(spec) if is_url(str(spec)) else os.path.abspath(local_path(os.fspath(spec)))
    root, pattern = _split_glob(spec)
    listing = (_url_listing if is_url(spec) else _local_listing)(root, pattern, exclude)
    if listing is None:
        if pattern is None:
            raise InputError(f"input not found: {spec}")
        return []
    matches = _glob_matcher(pattern)
    files = [
        _input_file(listing, rel, prefix)
        for rel in listing.paths
        if listing.single or (_is_input(rel, listing.stops) and matches(rel))
    ]
    files.sort(key=lambda f: f.rel)
    return files


def _split_glob(spec: str) -> tuple[str, str | None]:
    """(the folder before the first wildcard, the pattern after it), or (spec, None):
    ``s3://raw/2025/*/*.jsonl`` is ``s3://raw/2025`` and ``*/*.jsonl``."""
    if not glob.has_magic(spec):
        return spec.rstrip("/") or "/", None
    parts = spec.split("/")
    first = next(i for i, p in enumerate(parts) if glob.has_magic(p))
    return "/".join(parts[:first]) or ".", "/".join(parts[first:])


def _glob_matcher(pattern: str | None) -> Callable[[str], object]:
    """Whether a relative path matches the glob (fsspec's rules, for local and remote
    alike: ``**`` is any number of folders)."""
    if pattern is None:
        return lambda _rel: True
    from fsspec.utils import glob_translate

    return re.compile(glob_translate(pattern)).match


def _depth(pattern: str | None) -> int | None:
    """How many levels below the root a glob can match; None for any."""
    return None if pattern is None or "**" in pattern else pattern.count("/") + 1


def _is_input(rel: str, stops: set[str]) -> bool:
    """Not hidden, and under none of the ``stops`` folders (relative; ``""`` is the
    root): the datasets and excluded folders."""
    parts = rel.split("/")
    if any(p.startswith(".") for p in parts):
        return False
    return not any("/".join(parts[:i]) in stops for i in range(len(parts)))


@dataclass(frozen=True)
class _Listing:
    """What a store lists under an input root, before the rules."""

    paths: dict[str, str]  # relative path -> the path as the store opens it
    stops: set[str]  # folders nothing under which is input: datasets, excluded
    info: dict[str, dict]  # relative path -> the store's size and time (remote only)
    single: bool = False  # a file named on its own


def _input_file(listing: _Listing, rel: str, prefix: str) -> InputFile:
    path = listing.paths[rel]
    # A name that is not UTF-8 is shown with escapes; ``path`` still opens it.
    source = rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    source = f"{prefix}/{source}" if prefix else source
    info = listing.info.get(rel)
    if info is not None:
        return InputFile(path, source, int(info.get("size") or 0), _mtime_ns(info))
    try:
        st = os.stat(path)
    except OSError:  # a dangling link: read_file will reject it with the reason
        return InputFile(path, source, 0, 0)
    return InputFile(path, source, st.st_size, st.st_mtime_ns)


def _local_listing(root: str, pattern: str | None, exclude: tuple) -> _Listing | None:
    """A local folder's files by ``os.walk``, no deeper than the glob reaches (links to
    folders not followed; hidden folders, datasets and excluded folders not entered).

    Not fsspec's local listing: it costs a stat of every entry (twice the time of this
    walk, which stats only the files kept) and gives the mtime as a float, not the
    exact nanoseconds of the fingerprint."""
    if pattern is None and os.path.isfile(root):
        name = os.path.basename(root)
        return _Listing({name: root}, set(), {}, single=True)
    if not os.path.isdir(root):
        return None
    real, depth = os.path.realpath(root), _depth(pattern)
    excluded = {
        _under(os.path.realpath(local_path(str(e))), real) for e in exclude if not is_url(e)
    }
    paths: dict[str, str] = {}
    stops: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(root):
        folder = dirpath[len(root) :].strip(os.sep).replace(os.sep, "/")
        if folder in excluded or not _MARKERS.isdisjoint(dirnames + filenames):
            stops.add(folder)
            dirnames[:] = []
            continue
        level = folder.count("/") + 1 if folder else 0
        keep = depth is None or level < depth - 1
        dirnames[:] = sorted(d for d in dirnames if keep and not d.startswith("."))
        for name in filenames:
            paths[f"{folder}/{name}" if folder else name] = os.path.join(dirpath, name)
    return _Listing(paths, stops, {})


def _url_listing(root: str, pattern: str | None, exclude: tuple) -> _Listing | None:
    """An object store's files under a prefix: one listing (per level of a glob
    without ``**``), with the folders it implies."""
    fs, path = filesystem(root)
    path = path.rstrip("/")
    if pattern is None and fs.isfile(path):
        name = path.rsplit("/", 1)[-1]
        return _Listing({name: root}, set(), {name: fs.info(path)}, single=True)
    found = fs.find(path, maxdepth=_depth(pattern), withdirs=True, detail=True)
    if not found and not fs.isdir(path):
        return None
    rels = {p[len(path) :].strip("/"): (p, i) for p, i in found.items()}
    files = {rel: (p, i) for rel, (p, i) in rels.items() if i.get("type") != "directory"}
    # A folder that holds a dataset marker is a dataset: nothing under it is input.
    stops = {
        "/".join(parts[:i])
        for parts in (rel.split("/") for rel in rels)
        for i, part in enumerate(parts)
        if part in DATASET_MARKERS
    }
    excluded = (_under(filesystem(str(e))[1].rstrip("/"), path) for e in exclude if is_url(e))
    stops |= {rel for rel in excluded if rel is not None}
    return _Listing(
        {rel: fs.unstrip_protocol(p) for rel, (p, _) in files.items()},
        stops,
        {rel: i for rel, (_, i) in files.items()},
    )


def _under(path: str, root: str) -> str | None:
    """``path`` relative to ``root`` ("" for the root itself), or None if outside it."""
    inside = root.rstrip("/") + "/"
    if path == root:
        return ""
    return path[len(inside) :] if path.startswith(inside) else None


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
