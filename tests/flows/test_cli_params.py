"""Each run option is declared once, by its type: every RunOptions field has a
command-line option (and flow parameter) that sets it, and every option of a command
sets a field or is declared as no run option."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import pytest

from flows import cli
from flows.backfill import backfill
from flows.cli.params import RUN
from flows.options import CONFIG, RunOptions, Sets, option_types, options_from
from flows.parameters import SHARD_FILES, Parameter, given
from flows.scheduled_clean import scheduled_clean

FIELDS = {f.name for f in dataclasses.fields(RunOptions)}
# Parameters that say what to read and write, and how the command shows the run.
NOT_RUN_OPTIONS = {
    *("input", "output", "strict", "prefect", "verbose", "cron", "name"),
    *("partitions", "template", "start", "end", "file", "dataset", "limit", "show_text"),
}
# The run options a command does not offer (its own value, or the default).
NOT_OFFERED: dict[Callable[..., Any], set[str]] = {
    cli.run: set(),
    cli.backfill: {"incremental"},
    cli.serve: {"force", "incremental"},  # always incremental
    cli.explain: FIELDS - {"config", "read"},
    scheduled_clean.fn: {"force", "incremental"},
    backfill.fn: {"incremental"},
}


def unmapped(command: Callable[..., Any]) -> tuple[set[str], set[str]]:
    """(RunOptions fields no parameter of ``command`` sets, parameters that set no
    field and are not declared as no run option)."""
    sets = option_types(command)
    covered: set[str] = set()
    for mark in sets.values():
        covered |= {"config", "read"} if mark == CONFIG else {mark.field}
    params = set(inspect.signature(command).parameters) - NOT_RUN_OPTIONS
    no_field = {
        n for n in params if n not in sets or not (sets[n] == CONFIG or sets[n].field in FIELDS)
    }
    return FIELDS - covered, no_field


@pytest.mark.parametrize("command", NOT_OFFERED, ids=lambda c: c.__qualname__)
def test_each_field_has_an_option_and_each_option_a_field(command: Callable) -> None:
    assert unmapped(command) == (NOT_OFFERED[command], set())


def _command_with(shared: tuple[Parameter, ...]) -> Callable[..., None]:
    def command(**values: Any) -> None: ...

    return given(command, shared, lambda p: p.type)


@pytest.mark.parametrize(
    ("broken", "found"),
    [
        # renamed, and typed as a plain int: it sets nothing
        (Parameter("files_per_shard", int, 2000, ""), ({"shard_files"}, {"files_per_shard"})),
        # its type names a field RunOptions does not have
        (
            Parameter("shard_files", Annotated[int, Sets("shard_file")], 2000, ""),
            ({"shard_files"}, {"shard_files"}),
        ),
    ],
)
def test_a_broken_declaration_is_found(broken: Parameter, found: tuple) -> None:
    command = _command_with(tuple(broken if p is SHARD_FILES else p for p in RUN))
    assert unmapped(command) == found


# A value other than the default for each field, as its option takes it.
OTHER = {
    "runner": "process",
    "workers": 3,
    "address": "tcp://127.0.0.1:8786",
    "shard_bytes": 0.5,
    "shard_files": 7,
    "force": True,
    "incremental": True,
    "dedup": "near",
}


@pytest.mark.parametrize("command", [cli.run, cli.backfill, cli.serve, backfill.fn])
def test_each_option_reaches_its_field(command: Callable, tmp_path: Path) -> None:
    defaults = {n: p.default for n, p in inspect.signature(command).parameters.items()}
    marks = option_types(command)
    runner = next(n for n, mark in marks.items() if mark.field == "runner")
    toml = tmp_path / "textwash.toml"
    toml.write_text('[clean]\nnormalize_quotes = "keep"\n[read]\ntext_field = "body"\n')
    for name, mark in marks.items():
        if mark == CONFIG:
            got = options_from(command, {**defaults, name: str(toml)})
            assert got.read.text_field == "body" and got.config.normalize_quotes == "keep"
            continue
        base = {**defaults, runner: "dask"} if mark.field == "address" else defaults
        got = options_from(command, {**base, name: OTHER[mark.field]})
        plain = options_from(command, base)
        assert {f for f in FIELDS if getattr(got, f) != getattr(plain, f)} == {mark.field}, name
