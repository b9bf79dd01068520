"""What a command checks before any Prefect server starts: its options, its output
folder, its inputs. A mistake is a UsageError (one line, exit code 2)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cleaners.config import ConfigError

from ..data import discovery
from ..data.discovery import InputError, InputFile
from ..data.storage import is_remote
from ..options import RunOptions, options_from
from .console import UsageError


def run_options(command: Callable[..., Any], arguments: dict[str, Any], **fixed: Any) -> RunOptions:
    """The run options of a command's call (its ``locals()`` on entry: the parameters
    typed as run options are taken, see params.py), validated."""
    try:
        return options_from(command, arguments, **fixed)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None


def check_output(output: Path, options: RunOptions | None = None) -> None:
    """The dataset folder can be one: a folder (or nothing yet) we may write, or a
    prefix of a bucket we can reach, and, for an incremental run, a dataset of the
    schema this version writes."""
    if is_remote(output):
        _check_bucket(output)
    elif output.exists() and not output.is_dir():
        raise UsageError(f"output {output} exists and is not a folder")
    else:
        parent = next((p for p in [output, *output.parents] if p.exists()), Path("."))
        if not os.access(parent, os.W_OK | os.X_OK):
            raise UsageError(f"cannot write the output folder {output} (no permission on {parent})")
    if options is not None and options.incremental and output.is_dir():
        from ..data.dataset import dataset_version
        from ..data.schema import SCHEMA_VERSION, can_append_to

        version = dataset_version(output)
        if not can_append_to(version):
            raise UsageError(
                f"{output} holds schema {version} parts; this textwash writes "
                f"{SCHEMA_VERSION}. Append to a new folder, or run without --incremental "
                "to rewrite the dataset."
            )


def _check_bucket(output: Path) -> None:
    """The bucket exists and answers (endpoint and credentials come from the
    environment, as the store's own tools read them)."""
    bucket = str(output).split("://", 1)[1].split("/", 1)[0]
    try:
        found = output.fs.exists(bucket)  # type: ignore[attr-defined]
    except Exception as exc:  # no credentials, no network: the store's own words
        raise UsageError(f"cannot reach {output}: {type(exc).__name__}: {exc}") from None
    if not found:
        raise UsageError(f"no bucket {bucket!r} for {output}")
    if output.is_file():
        raise UsageError(f"output {output} is an object, not a prefix")


def find_inputs(input: str, output: Path) -> list[InputFile]:
    """The files a run would read; none is an error."""
    try:
        return discovery.find_inputs(input, output)
    except InputError as exc:
        raise UsageError(str(exc)) from None


def check_cron(cron: str) -> None:
    from prefect.client.schemas.schedules import CronSchedule

    try:
        CronSchedule(cron=cron)
    except ValueError:  # pydantic's ValidationError
        raise UsageError(f"not a cron expression: {cron!r} (e.g. '*/15 * * * *')") from None
