"""Resume through the CLI: the same command again cleans nothing it already cleaned."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app

from ..conftest import SEEDS

pytestmark = pytest.mark.usefixtures("prefect_server")


@pytest.mark.parametrize("dedup", ["exact", "near"])
def test_a_dedup_run_resumes(tmp_path: Path, dedup: str) -> None:
    out = tmp_path / "out"
    args = ["run", str(SEEDS), "-o", str(out), "--dedup", dedup, "--shard-files", "2"]
    for expected_run in (3, 0):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        summary = json.loads((out / "_manifest.json").read_text())["summary"]
        assert (summary["shards_run"], summary["shards"]) == (expected_run, 3)
    assert "Nothing to do" in result.output
