"""A run's body without Prefect's API (pipeline.run_corpus, which the flows wrap): what
it writes to the dataset, read back from the files."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from flows.launch import run_clean_corpus
from flows.options import RunOptions

from ..conftest import SEEDS


def dataset_files(out: Path) -> dict[str, tuple[int, bytes]]:
    """Every file of a dataset: its time of last change and its bytes."""
    return {
        str(p.relative_to(out)): (p.stat().st_mtime_ns, p.read_bytes())
        for p in sorted(out.rglob("*"))
        if p.is_file()
    }


def test_an_incremental_run_with_nothing_new_writes_nothing(tmp_path: Path) -> None:
    """A scheduled run that finds no new input (a touched file is not new) leaves every
    file of the dataset as it was, the manifest included: readers following it see the
    dataset of the last run that added something."""
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    shutil.copytree(SEEDS, inbox)
    options = RunOptions(incremental=True)
    first = run_clean_corpus(str(inbox), str(out), options, plain=True)
    before = dataset_files(out)
    touched = next(inbox.iterdir())
    stat = touched.stat()
    os.utime(touched, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    again = run_clean_corpus(str(inbox), str(out), options, plain=True)
    assert dataset_files(out) == before
    assert (again["shards_run"], again["documents"]) == (0, 0)
    assert again["dataset"] == first["dataset"]
