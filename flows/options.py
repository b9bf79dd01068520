"""One frozen set of run options, from the CLI to the flow to the tasks.

Built and validated once, before any Prefect server starts (a bad value is one clear
line and exit code 2), then passed down as a plain dict, since it crosses processes
and is stored as a deployment's parameters.
"""

from __future__ import annotations

import dataclasses
import inspect
import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from cleaners import CleanConfig
from cleaners.config import ConfigError, check_types

from .data.documents import ReadOptions

RUNNERS = ("thread", "process", "dask")
DEDUP_MODES = ("off", "exact", "near")
MB = 1 << 20


@dataclass(frozen=True)
class RunOptions:
    """How a run reads, cleans, shards and executes; nothing here names a path."""

    config: CleanConfig = field(default_factory=CleanConfig)
    read: ReadOptions = field(default_factory=ReadOptions)
    runner: str = "thread"  # thread | process | dask
    # Shards run at once: 1 thread by default, all cores for process/dask, or as many
    # workers as the Dask scheduler at ``address`` has.
    workers: int | None = None
    address: str | None = None  # an existing Dask scheduler
    shard_bytes: int = 64 * MB
    shard_files: int = 2000
    force: bool = False  # redo shards that are already done
    incremental: bool = False  # only inputs the dataset has not seen; append parts
    dedup: str = "off"  # off | exact | near: duplicates keep a row pointing to the kept copy

    def __post_init__(self) -> None:
        check_types(self)
        if self.runner not in RUNNERS:
            raise ConfigError(f"runner must be one of {', '.join(RUNNERS)}, not {self.runner!r}")
        if self.dedup not in DEDUP_MODES:
            raise ConfigError(f"dedup must be one of {', '.join(DEDUP_MODES)}, not {self.dedup!r}")
        if self.workers is not None and self.workers < 1:
            raise ConfigError(f"workers must be at least 1, not {self.workers}")
        if self.address and self.runner != "dask":
            raise ConfigError("an address is a Dask scheduler's: use it with --runner dask")
        if self.shard_bytes < 1:
            raise ConfigError(f"the shard size must be positive, not {self.shard_bytes} bytes")
        if self.shard_files < 1:
            raise ConfigError(f"shard_files must be at least 1, not {self.shard_files}")

    def replace(self, **changes: Any) -> RunOptions:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain values (JSON-able): flow and deployment parameters."""
        return {
            **{f.name: getattr(self, f.name) for f in dataclasses.fields(self)},
            "config": self.config.to_dict(),
            "read": dataclasses.asdict(self.read),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunOptions:
        data = dict(data)
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"unknown run options: {', '.join(unknown)}")
        config = data.pop("config", None)
        read = data.pop("read", None)
        if isinstance(config, dict):
            config = CleanConfig.from_dict(config)
        if isinstance(read, dict):
            read = read_options(read)
        return cls(config=config or CleanConfig(), read=read or ReadOptions(), **data)


def read_options(data: dict[str, Any]) -> ReadOptions:
    known = {f.name for f in dataclasses.fields(ReadOptions)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"unknown [read] keys: {', '.join(unknown)}")
    return ReadOptions(**data)


def shard_bytes_of(shard_mb: float) -> int:
    """``--shard-mb`` in bytes; a size that rounds to nothing is an error.

    >>> shard_bytes_of(0.5)
    524288
    """
    if not shard_mb > 0:
        raise ConfigError(f"--shard-mb must be positive, not {shard_mb}")
    return max(1, int(shard_mb * MB))


def load_config(path: str | os.PathLike[str] | None) -> tuple[CleanConfig, ReadOptions]:
    """Defaults in code, then a TOML file's [clean] and [read] tables."""
    if path is None:
        return CleanConfig(), ReadOptions()
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read config {path}: {exc}") from None
    unknown = sorted(set(data) - {"clean", "read"})
    if unknown:
        raise ConfigError(f"config {path}: unknown table(s) {', '.join(unknown)} ([clean], [read])")
    try:
        return CleanConfig.from_dict(dict(data.get("clean", {}))), read_options(
            dict(data.get("read", {}))
        )
    except (ConfigError, TypeError) as exc:
        raise ConfigError(f"config {path}: {exc}") from None


@dataclass(frozen=True)
class Sets:
    """What a command-line option or flow parameter is, in its ``Annotated`` type: the
    RunOptions field it sets, through ``convert``. A command's run options are found
    by these types, never by parameter names, so renaming a parameter cannot drop one.
    """

    field: str
    convert: Callable[[Any], Any] | None = None


CONFIG = Sets("config")  # the TOML file: [clean] is ``config``, [read] is ``read``

# One type per run option, shared by the CLI's commands (which add their help) and
# the flows whose parameters are those options.
ConfigFile = Annotated[Path | None, CONFIG]
Runner = Annotated[str, Sets("runner")]
Workers = Annotated[int | None, Sets("workers")]
Address = Annotated[str | None, Sets("address")]
ShardMb = Annotated[float, Sets("shard_bytes", shard_bytes_of)]
ShardFiles = Annotated[int, Sets("shard_files")]
Force = Annotated[bool, Sets("force")]
Incremental = Annotated[bool, Sets("incremental")]
Dedup = Annotated[str, Sets("dedup")]


def option_types(function: Callable[..., Any]) -> dict[str, Sets]:
    """The parameters of a command or flow that are run options, and what each sets."""
    # A flow a Prefect worker loads from its entrypoint may run with a namespace of its
    # own, without the names its annotations use: they are this module's aliases.
    # Only the parameters' annotations are read (not the return type's names).
    names = {**globals(), **getattr(function, "__globals__", {})}
    found = {}
    for name, param in inspect.signature(function).parameters.items():
        hint = param.annotation
        if isinstance(hint, str):
            hint = eval(hint, names)  # as typing.get_type_hints does
        marks = [m for m in getattr(hint, "__metadata__", ()) if isinstance(m, Sets)]
        if marks:
            found[name] = marks[0]
    return found


def options_from(
    function: Callable[..., Any], arguments: dict[str, Any], **fixed: Any
) -> RunOptions:
    """The run options of a call of ``function`` (a command or a flow; ``arguments``
    are the values it was called with, e.g. its ``locals()`` on entry or the run options
    it was given in its ``**kwargs``; one left out has its default, as in a flow called
    as a plain function): each parameter typed as a run option sets its field; ``fixed``
    fields are the command's own (``serve`` is always incremental). Validated: a mistake
    is a ConfigError of one line, the same from the CLI and from a deployment."""
    params = inspect.signature(function).parameters
    config = None
    fields: dict[str, Any] = {}
    for name, sets in option_types(function).items():
        value = arguments[name] if name in arguments else params[name].default
        if sets == CONFIG:  # equal, not the same: a worker may have run this module twice
            config = value
        else:
            fields[sets.field] = value if sets.convert is None else sets.convert(value)
    clean, read = load_config(config)
    return RunOptions(config=clean, read=read, **fields, **fixed)
