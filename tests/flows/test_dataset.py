from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from flows.dataset import remove_stale, write_parquet_atomic


def test_failed_write_leaves_no_file(tmp_path: Path) -> None:
    target = tmp_path / "documents" / "part-00000.parquet"
    with pytest.raises(Exception):  # noqa: B017 - any failure from the writer
        write_parquet_atomic("not a table", target)  # type: ignore[arg-type]
    assert list(target.parent.iterdir()) == []


def test_remove_stale_keeps_planned_parts(tmp_path: Path) -> None:
    for i in range(3):
        write_parquet_atomic(pa.table({"x": [i]}), tmp_path / "documents" / f"part-{i:05d}.parquet")
    (tmp_path / "documents" / ".part-00009.parquet.abc.tmp").write_bytes(b"partial")
    removed = remove_stale(tmp_path, keep={0, 1})
    assert sorted(removed) == [
        "documents/.part-00009.parquet.abc.tmp",
        "documents/part-00002.parquet",
    ]
    assert sorted(p.name for p in (tmp_path / "documents").iterdir()) == [
        "part-00000.parquet",
        "part-00001.parquet",
    ]


def test_partition_names_never_leave_the_output_folder(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os

    import pytest

    from flows.partitions import partition_output

    out = tmp_path / "clean"
    for hostile in ("raw/..", "..", ".", "/", "raw/../"):
        with pytest.raises(ValueError):
            partition_output(str(out), hostile)
    for name in ("raw/date=2025-01-01", "raw/with space", "raw/ünï", "raw/..hidden", "a/date=.."):
        target = os.path.realpath(partition_output(str(out), name))
        assert os.path.dirname(target) == os.path.realpath(out)
