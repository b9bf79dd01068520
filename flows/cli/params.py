"""The commands' shared options, each declared once: its type (the run option it sets,
see options.Sets), its flag and its help. ``run``, ``backfill`` and ``serve`` take
them by these types, and their run options are built from the types, not from the
parameters' names (options.options_from)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .. import options

ConfigOpt = Annotated[
    Path | None,
    options.CONFIG,
    typer.Option("--config", "-c", help="TOML config file."),
]
OutputOpt = Annotated[
    str, typer.Option("--output", "-o", help="Dataset folder, or a URL (s3://bucket/prefix).")
]
RunnerOpt = Annotated[options.Runner, typer.Option(help="thread | process | dask")]
WorkersOpt = Annotated[
    options.Workers,
    typer.Option(help="Parallel shards (default: 1 thread, or all cores for process/dask)."),
]
AddressOpt = Annotated[options.Address, typer.Option(help="Existing Dask scheduler address.")]
ShardMbOpt = Annotated[options.ShardMb, typer.Option(help="Target shard size in MB.")]
ShardFilesOpt = Annotated[options.ShardFiles, typer.Option(help="Most files per shard.")]
ForceOpt = Annotated[options.Force, typer.Option(help="Redo shards that are already done.")]
IncrementalOpt = Annotated[
    options.Incremental,
    typer.Option(help="Clean only inputs the dataset has not seen; append parts (as serve)."),
]
DedupOpt = Annotated[
    options.Dedup,
    typer.Option(
        help="off | exact | near: copies of a document keep a row with duplicate_of set "
        "to the first copy, and no text."
    ),
]
StrictOpt = Annotated[bool, typer.Option(help="Exit non-zero if this run rejected any input.")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Prefect logs.")]
PrefectOpt = Annotated[
    bool,
    typer.Option(
        help="With no Prefect server running, start a temporary one for the run (its "
        "UI and records), instead of cleaning without Prefect's API."
    ),
]


def _thread_until_sized(runner: str | None) -> str:
    """No --runner: a thread until the input's size picks one (runners.default_runner)."""
    return runner or "thread"


AutoRunnerOpt = Annotated[
    str | None,
    options.Sets("runner", _thread_until_sized),
    typer.Option(
        help="thread | process | dask (default: a process per core, one thread "
        "for an input under 2 MB)"
    ),
]
