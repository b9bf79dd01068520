"""Where the dataset is written: files others can read (the umask decides)."""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.data.storage import write_atomic

from ...conftest import SEEDS


@contextlib.contextmanager
def umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def modes(root: Path) -> dict[str, int]:
    """Every file and folder under ``root`` (itself included), by its permission bits."""
    found = {".": stat.S_IMODE(root.stat().st_mode)}
    for path in root.rglob("*"):
        found[str(path.relative_to(root))] = stat.S_IMODE(path.stat().st_mode)
    return found


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o002])
def test_an_atomic_write_gets_the_permissions_the_umask_gives(tmp_path: Path, mask: int) -> None:
    target = tmp_path / "out" / "documents" / "part-00000.parquet"
    with umask(mask):
        write_atomic(target, lambda fh: fh.write(b"data"))
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask
    assert stat.S_IMODE(target.parent.stat().st_mode) == 0o777 & ~mask
    assert target.read_bytes() == b"data"
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no temporary left


@pytest.mark.parametrize("mask", [0o022, 0o027])
def test_a_run_writes_a_dataset_others_can_read(
    tmp_path: Path, prefect_server: str, mask: int
) -> None:
    """Every part, marker, state file and the manifest: 0644 and folders 0755 under
    umask 022 (0640/0750 under 027), as any file the user writes."""
    out = tmp_path / "out"
    with umask(mask):
        result = CliRunner().invoke(app, ["run", str(SEEDS), "-o", str(out)])
    assert result.exit_code == 0, result.output
    found = modes(out)
    assert {"_manifest.json", "_shards"} <= set(found)
    assert any(name.startswith("documents/part-00000-") for name in found)
    files = {name: mode for name, mode in found.items() if (out / name).is_file()}
    folders = {name: mode for name, mode in found.items() if (out / name).is_dir()}
    assert files and all(mode == 0o666 & ~mask for mode in files.values()), files
    assert all(mode == 0o777 & ~mask for mode in folders.values()), folders
