"""The run options as parameters, each declared once: its name, type, default and help.

The commands that clean (``textwash run``, ``backfill``, ``serve``) and the flows a
deployment runs with the same options (``backfill``, ``scheduled_clean``: the form of
a run) are given them from the lists below, so a command and its flow cannot differ in
a name, a type or a default, and a renamed one is renamed everywhere. A function given
them receives them in its ``**kwargs``; its signature, which typer and Prefect read,
names each one. The CLI adds each one's flags and help (cli/params.py); a flow's
docstring lists the helps, which Prefect's form of a run shows.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from .options import (
    Address,
    ConfigFile,
    Dedup,
    Force,
    Incremental,
    Runner,
    ShardFiles,
    ShardMb,
    Workers,
)

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Parameter:
    """A parameter that commands and flows share."""

    name: str
    type: Any  # for a run option, its type in options.py: the RunOptions field it sets
    default: Any
    help: str
    flags: tuple[str, ...] = ()  # the command line's, where more than --NAME


CONFIG = Parameter(
    "config", ConfigFile, None, "TOML config file ([clean], [read]).", ("--config", "-c")
)
RUNNER = Parameter("runner", Runner, "thread", "thread | process | dask")
WORKERS = Parameter(
    "workers", Workers, None, "Parallel shards (default: 1 thread, or all cores for process/dask)."
)
ADDRESS = Parameter("address", Address, None, "Existing Dask scheduler address (with runner dask).")
SHARD_MB = Parameter("shard_mb", ShardMb, 64.0, "Target shard size in MB.")
SHARD_FILES = Parameter("shard_files", ShardFiles, 2000, "Most files per shard.")
FORCE = Parameter("force", Force, False, "Redo shards that are already done.")
INCREMENTAL = Parameter(
    "incremental",
    Incremental,
    False,
    "Clean only inputs the dataset has not seen; append parts (as serve).",
)
DEDUP = Parameter(
    "dedup",
    Dedup,
    "off",
    "off | exact | near: copies of a document keep a row with duplicate_of set to the "
    "first copy, and no text.",
)

# textwash serve and the scheduled_clean flow (always incremental, never forced).
SERVE = (CONFIG, RUNNER, WORKERS, ADDRESS, SHARD_MB, SHARD_FILES, DEDUP)
# textwash backfill and the backfill flow.
BACKFILL = (CONFIG, RUNNER, WORKERS, ADDRESS, SHARD_MB, SHARD_FILES, FORCE, DEDUP)


def given(function: F, shared: tuple[Parameter, ...], annotate: Callable[[Parameter], Any]) -> F:
    """``function`` (which takes ``**kwargs``) with the ``shared`` parameters in its
    signature, each typed by ``annotate``: after its positional-or-keyword parameters,
    before its keyword-only ones (the order ``--help`` and the form show)."""
    own = inspect.signature(function, eval_str=True)  # objects, as typer reads them
    params = list(own.parameters.values())
    if not params or params[-1].kind is not inspect.Parameter.VAR_KEYWORD:
        raise TypeError(f"{function.__qualname__} must take **kwargs to be given parameters")
    before = [p for p in params[:-1] if p.kind is not inspect.Parameter.KEYWORD_ONLY]
    after = [p for p in params[:-1] if p.kind is inspect.Parameter.KEYWORD_ONLY]
    keyword = inspect.Parameter.KEYWORD_ONLY
    declared = [
        inspect.Parameter(p.name, keyword, default=p.default, annotation=annotate(p))
        for p in shared
    ]
    function.__signature__ = own.replace(parameters=[*before, *declared, *after])  # type: ignore[attr-defined]
    return function


def flow_parameters(*shared: Parameter) -> Callable[[F], F]:
    """Give a flow the ``shared`` parameters, their helps in its docstring's Args (its
    last section), where Prefect finds a form's descriptions."""

    def give(function: F) -> F:
        helps = "".join(f"\n    {p.name}: {p.help}" for p in shared)
        function.__doc__ = inspect.cleandoc(function.__doc__ or "") + helps
        return given(function, shared, lambda p: p.type)

    return give
