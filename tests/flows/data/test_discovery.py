"""What a run reads: the files under a folder, a file or a glob, and what is skipped
(hidden files, textwash datasets, the run's own output). The rules are the same on a
local folder and on an object store: the tests that do not depend on links or on the
file system's own times run on both (fsspec's in-memory store, which lists as an
object store does; a real S3 server is in tests/flows/test_object_storage.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import fsspec
import pytest

from flows.data.discovery import InputError, discover, find_inputs

# A folder of inputs with what discovery must leave out beside them.
TREE = (
    "a.txt",
    "notes.bin",  # unsupported: kept, so that it is rejected rather than lost
    "sub/b.jsonl",
    "sub/deeper/c.html",
    "sub/.hidden.txt",
    ".git/config",
    "out/_manifest.json",  # a dataset: nothing under it is input
    "out/documents/part-00000.parquet",
    "old/_state/lock",
    "older/_shards/shard-00001.json",
    "older/e.txt",
    "deep/x/_manifest.json",
    "deep/x/y.txt",
    "deep/z.txt",
)
INPUTS = ["a.txt", "deep/z.txt", "notes.bin", "sub/b.jsonl", "sub/deeper/c.html"]


def make_tree(root: Path, names: tuple[str, ...] = TREE) -> Path:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"text of {name}", encoding="utf-8")
    return root


def rels(spec: str | Path, **kwargs: object) -> list[str]:
    return [f.rel for f in discover(spec, **kwargs)]  # type: ignore[arg-type]


class Store:
    """Where a test's inputs live: a local folder, or a prefix of the in-memory store."""

    def __init__(self, root: str, write: object) -> None:
        self.root = root
        self.write = write

    def tree(self, names: tuple[str, ...] = TREE) -> str:
        for name in names:
            self.write(f"{self.root}/{name}", f"text of {name}".encode())  # type: ignore[operator]
        return self.root


@pytest.fixture(params=["folder", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "folder":

        def write(path: str, data: bytes) -> None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).write_bytes(data)

        yield Store(str(tmp_path / "in"), write)
        return
    fs = fsspec.filesystem("memory")
    prefix = f"/{tmp_path.name}"  # the store is the process's: one prefix a test
    yield Store(f"memory://{prefix}/in", fs.pipe_file)
    if fs.exists(prefix):
        fs.rm(prefix, recursive=True)


def test_a_folder_gives_its_inputs_sorted_by_their_path_in_it(store: Store) -> None:
    assert rels(store.tree()) == INPUTS


def test_the_source_does_not_depend_on_how_the_folder_is_spelled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_tree(tmp_path / "in")
    monkeypatch.chdir(tmp_path)
    for spec in ("in", "./in", "in/", f"{root}/", f"file://{root}", "in/../in"):
        assert rels(spec) == INPUTS, spec


def test_a_glob_is_relative_to_the_folder_before_its_first_wildcard(store: Store) -> None:
    root = store.tree()
    # deep/x/y.txt is in a dataset, though the glob does not match its marker.
    assert rels(f"{root}/**/*.txt") == ["a.txt", "deep/z.txt"]
    assert rels(f"{root}/*/*.txt") == ["deep/z.txt"]
    assert rels(f"{root}/sub/**") == ["b.jsonl", "deeper/c.html"]
    assert rels(f"{root}/sub/.h*") == []  # hidden, even when the glob names it
    assert rels(f"{root}/nowhere/*.txt") == []


def test_a_file_is_its_own_input(store: Store) -> None:
    root = store.tree()
    (f,) = discover(f"{root}/sub/b.jsonl")
    assert (f.rel, f.path) == ("b.jsonl", f"{root}/sub/b.jsonl")
    assert rels(f"{root}/sub/.hidden.txt") == [".hidden.txt"]  # named: read


def test_a_dataset_holds_no_inputs(store: Store) -> None:
    root = store.tree()
    assert rels(f"{root}/out") == rels(f"{root}/older") == rels(f"{root}/old") == []


def test_an_empty_marker_folder_makes_a_dataset(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "in", ("f.txt",))
    (root / "_state").mkdir()
    assert rels(root) == []


def test_the_excluded_folders_are_skipped(store: Store) -> None:
    root = store.tree()
    assert rels(root, exclude=(f"{root}/sub",)) == ["a.txt", "deep/z.txt", "notes.bin"]
    assert rels(root, exclude=(f"{root}/su",)) == INPUTS  # a folder, not a prefix
    assert rels(root, exclude=(root,)) == []


def test_the_excluded_folders_are_skipped_however_spelled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_tree(tmp_path / "in")
    (tmp_path / "link").symlink_to(root / "sub")
    monkeypatch.chdir(tmp_path)
    assert rels(root, exclude=("in/sub",)) == ["a.txt", "deep/z.txt", "notes.bin"]
    assert rels(root, exclude=(tmp_path / "link",)) == ["a.txt", "deep/z.txt", "notes.bin"]
    assert rels(root, exclude=(tmp_path / "elsewhere",)) == INPUTS


def test_a_prefix_goes_before_the_source(store: Store) -> None:
    root = store.tree()
    assert rels(root, prefix="date=2025-01-01") == [f"date=2025-01-01/{r}" for r in INPUTS]


def test_a_missing_input_is_an_input_error(store: Store) -> None:
    with pytest.raises(InputError, match="input not found"):
        discover(f"{store.root}/nope")


def test_a_linked_folder_is_not_followed_and_a_dangling_link_is_kept(tmp_path: Path) -> None:
    """A dangling link stays an input, so that reading it rejects it with the reason."""
    root = make_tree(tmp_path / "in", ("a.txt",))
    make_tree(tmp_path / "other", ("b.txt",))
    (root / "linked").symlink_to(tmp_path / "other")
    (root / "loop").symlink_to(root)
    (root / "gone.txt").symlink_to(tmp_path / "nowhere.txt")
    (root / "b-link.txt").symlink_to(tmp_path / "other" / "b.txt")
    assert rels(root) == ["a.txt", "b-link.txt", "gone.txt"]


def test_size_and_mtime_are_the_files_own(tmp_path: Path) -> None:
    """The fingerprint (size:mtime in ns) says whether an input changed since the last
    run: it must be exactly what the file system records, or every file looks changed."""
    root = make_tree(tmp_path / "in", ("a.txt",))
    os.utime(root / "a.txt", ns=(1_700_000_000_123_456_789, 1_700_000_000_123_456_789))
    (f,) = discover(root)
    st = os.stat(root / "a.txt")
    assert f.fingerprint == f"{st.st_size}:{st.st_mtime_ns}"
    assert f.fingerprint.endswith(":1700000000123456789")


def test_discover_glob_and_missing(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "one.txt").write_text("a")
    (tmp_path / "x" / ".hidden.txt").write_text("a")
    assert [f.rel for f in discover(str(tmp_path / "x" / "*.txt"))] == ["one.txt"]
    with pytest.raises(InputError):
        discover(tmp_path / "nope")


def test_nothing_to_read_says_why(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "in", ("out/_manifest.json", "out/documents/x.txt"))
    with pytest.raises(InputError, match="a textwash dataset"):
        find_inputs(str(root / "out"), tmp_path / "clean")
    with pytest.raises(InputError, match="no inputs found"):
        find_inputs(str(root), tmp_path / "clean")
    make_tree(root, ("a.txt",))
    assert [f.rel for f in find_inputs(str(root), root / "out")] == ["a.txt"]
