from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from flows.data.dataset import dataset_files, write_parquet_atomic


def test_failed_write_leaves_no_file(tmp_path: Path) -> None:
    target = tmp_path / "documents" / "part-00000.parquet"
    with pytest.raises(Exception):  # noqa: B017 - any failure from the writer
        write_parquet_atomic("not a table", target)  # type: ignore[arg-type]
    assert list(target.parent.iterdir()) == []


def test_dataset_files_are_the_parts_markers_and_temporaries(tmp_path: Path) -> None:
    for name in ("part-00000.parquet", "part-00001-0a1b2c3d.parquet"):
        write_parquet_atomic(pa.table({"x": [1]}), tmp_path / "documents" / name)
    (tmp_path / "documents" / ".part-00009.parquet.abc.tmp").write_bytes(b"partial")
    (tmp_path / "documents" / "notes.txt").write_text("not ours")
    (tmp_path / "_shards").mkdir()
    (tmp_path / "_shards" / "shard-00001.json").write_text("{}")
    assert sorted(dataset_files(tmp_path)) == [
        "_shards/shard-00001.json",
        "documents/.part-00009.parquet.abc.tmp",
        "documents/part-00000.parquet",
        "documents/part-00001-0a1b2c3d.parquet",
    ]


def test_partition_names_never_leave_the_output_folder(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os

    import pytest

    from flows.data.partitions import partition_output

    out = tmp_path / "clean"
    for hostile in ("raw/..", "..", ".", "/", "raw/../"):
        with pytest.raises(ValueError):
            partition_output(str(out), hostile)
    for name in ("raw/date=2025-01-01", "raw/with space", "raw/ünï", "raw/..hidden", "a/date=.."):
        target = os.path.realpath(partition_output(str(out), name))
        assert os.path.dirname(target) == os.path.realpath(out)
