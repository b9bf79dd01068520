"""Mistakes in arguments, config and inputs: one clear line and exit code 2, found
before any Prefect server starts (Prefect is never imported)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import SEEDS

pytestmark = pytest.mark.integration  # each test runs the CLI in a subprocess

# Runs the CLI and reports whether Prefect was imported (it must not be, for usage errors).
PROBE = """
import runpy, sys
sys.argv = ["textwash", *sys.argv[1:]]
try:
    runpy.run_module("flows.cli", run_name="__main__")
finally:
    print("PREFECT-IMPORTED" if "prefect" in sys.modules else "no-prefect", file=sys.stderr)
"""


def textwash(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    # A configured but dead API: a command that got as far as Prefect would hang or fail
    # differently, never with exit code 2.
    env = {**os.environ, "PREFECT_API_URL": "http://127.0.0.1:9/api"}
    return subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


def _usage_error(proc: subprocess.CompletedProcess, *needles: str, prefect: bool = False) -> None:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    # serve checks its cron with Prefect's own parser (it needs Prefect anyway).
    assert lines[-1] == ("PREFECT-IMPORTED" if prefect else "no-prefect"), proc.stderr
    assert len(lines) == 2 and lines[0].startswith("error: "), proc.stderr
    for needle in needles:
        assert needle in lines[0], proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def paths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("usage")
    (root / "empty").mkdir()
    (root / "a_file").write_text("not a folder")
    bad = root / "bad.toml"
    bad.write_text("[read]\ntext_field = 5\n")
    typo = root / "typo.toml"
    typo.write_text("[clean]\nstrip_boilerplates = true\n")
    table = root / "table.toml"
    table.write_text("[cleaning]\nstrip_boilerplate = true\n")
    return {"root": root}


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["run", str(SEEDS), "--runner", "spark"], ["runner must be one of"]),
        (["run", str(SEEDS), "--workers", "0"], ["workers must be at least 1"]),
        (["run", str(SEEDS), "--shard-mb", "-1"], ["--shard-mb must be positive"]),
        (["run", str(SEEDS), "--shard-files", "0"], ["shard_files"]),
        (["run", str(SEEDS), "--dedup", "maybe"], ["dedup must be one of"]),
        (["run", str(SEEDS), "--address", "tcp://h:8786"], ["--runner dask"]),
        (["run", str(SEEDS), "-o", "{root}/a_file"], ["is not a folder"]),
        (["run", str(SEEDS), "-c", "{root}/bad.toml"], ["text_field must be a string"]),
        (
            ["run", str(SEEDS), "-c", "{root}/typo.toml"],
            ["unknown [clean] keys: strip_boilerplates"],
        ),
        (["run", str(SEEDS), "-c", "{root}/table.toml"], ["unknown table"]),
        (["run", str(SEEDS), "-c", "{root}/missing.toml"], ["cannot read config"]),
        (["run", "{root}/empty"], ["no inputs found"]),
        # a message's [brackets] are text, not Rich markup
        (["run", "{root}/none[abc]*.txt"], ["no inputs found", "none[abc]*.txt"]),
        (["run", "{root}/nothing-*.jsonl"], ["no inputs found"]),
        (["run", "{root}/nope"], ["input not found"]),
        (["backfill", "--partitions", "{root}/none-*"], ["no partition matches"]),
        (["backfill", "--partitions", "{root}/empty", "--runner", "x"], ["runner"]),
        (["serve", str(SEEDS), "--cron", "every minute"], ["not a cron expression"]),
        (["explain", "{root}/empty"], ["no inputs found"]),
    ],
)
def test_usage_errors_are_one_line_before_prefect(
    paths: dict[str, Path], args: list[str], needles: list[str]
) -> None:
    root = paths["root"]
    proc = textwash(*(a.format(root=root) for a in args))
    _usage_error(proc, *needles, prefect=args[0] == "serve")


def test_a_backfill_warns_about_each_empty_partition(paths: dict[str, Path]) -> None:
    root = paths["root"]
    (root / "raw" / "date=2025-01-01").mkdir(parents=True)
    (root / "raw" / "date=2025-01-02").mkdir(parents=True)
    proc = textwash("backfill", "--partitions", f"{root}/raw/date=*", "-o", str(root / "out"))
    assert proc.returncode == 2
    assert proc.stderr.count("warning: skipped partition") == 2
    assert "no inputs found in any partition" in proc.stderr


@pytest.mark.parametrize("command", ["run", "backfill", "explain", "serve", "inspect", "server"])
def test_help_shows_each_commands_description_whole(command: str) -> None:
    """Help renders the docstring's first paragraph word for word (no markup eats a
    part of it), and answers without importing Prefect."""
    import re

    from flows import cli

    docs = {c.name or c.callback.__name__: c.callback.__doc__ for c in cli.app.registered_commands}
    docs |= {g.name: g.typer_instance.info.help for g in cli.app.registered_groups}
    text = docs[command]
    first = " ".join(text.split("\n\n")[0].split())
    result = textwash(command, "--help")
    assert result.returncode == 0, result.stderr
    shown = " ".join(re.sub(r"[│╭╮╰╯─]", " ", result.stdout).split())
    assert first.replace("`", "") in shown.replace("`", "")
    assert "no-prefect" in result.stderr


def test_a_backfill_warns_about_a_missing_partition_as_an_empty_one(
    paths: dict[str, Path],
) -> None:
    root = paths["root"]
    (root / "days" / "date=2025-01-01").mkdir(parents=True)  # empty; 2025-01-02: none
    proc = textwash(
        "backfill",
        "--template",
        f"{root}/days/date={{date}}",
        "--start",
        "2025-01-01",
        "--end",
        "2025-01-02",
        "-o",
        str(root / "out"),
    )
    assert proc.returncode == 2, proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 2, proc.stderr
    assert "date=2025-01-02: input not found" in warnings[1]
    assert "no inputs found in any partition" in proc.stderr


def test_version(paths: dict[str, Path]) -> None:
    from importlib.metadata import version

    proc = textwash("--version")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"textwash {version('textwash')}"
    assert proc.stderr.strip() == "no-prefect"


def test_inspect_of_a_folder_that_is_not_a_dataset_is_a_usage_error(
    paths: dict[str, Path],
) -> None:
    for folder in (SEEDS, paths["root"] / "empty"):
        proc = textwash("inspect", str(folder))
        _usage_error(proc, "not a textwash dataset")
