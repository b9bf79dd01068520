"""The commands' options. The run options are declared once, with the flows that take
them (parameters.py): here each gets its flags and help; a command is given them by
``run_options_of``. Its run options are then built from their types, not from the
parameters' names (options.options_from). Below, the options of the CLI's own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

from .. import options
from ..parameters import (
    ADDRESS,
    CONFIG,
    DEDUP,
    FORCE,
    INCREMENTAL,
    SHARD_FILES,
    SHARD_MB,
    WORKERS,
    F,
    Parameter,
    given,
)


def option(parameter: Parameter) -> Any:
    """The parameter's type as a command-line option: with its flags and help."""
    return Annotated[parameter.type, typer.Option(*parameter.flags, help=parameter.help)]


def run_options_of(*shared: Parameter) -> Callable[[F], F]:
    """Give a command the ``shared`` parameters as options (in its ``**kwargs``)."""
    return lambda command: given(command, shared, option)


ConfigOpt = option(CONFIG)
OutputOpt = Annotated[
    str, typer.Option("--output", "-o", help="Dataset folder, or a URL (s3://bucket/prefix).")
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


AUTO_RUNNER = Parameter(
    "runner",
    Annotated[str | None, options.Sets("runner", _thread_until_sized)],
    None,
    "thread | process | dask (default: a process per core, one thread for an input under 2 MB)",
)
# textwash run: every run option; its runner is picked by the input's size.
RUN = (CONFIG, AUTO_RUNNER, WORKERS, ADDRESS, SHARD_MB, SHARD_FILES, FORCE, INCREMENTAL, DEDUP)
