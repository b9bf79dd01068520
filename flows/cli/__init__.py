"""The ``textwash`` command line: run, backfill, serve, explain, inspect, server.

Every argument and config value is checked, and the inputs found, before any Prefect
server starts: a mistake is one line and exit code 2. Prefect is imported only by
the commands that run flows, after the run's API server has been started, so
``explain`` answers at once and ``run`` overlaps the two.

The shared options are declared once, in params.py; a command's run options are
built from their types (options.options_from).
"""

from __future__ import annotations

from . import server  # noqa: F401  (registers ``textwash server``)
from .checks import run_options
from .commands import backfill, explain, inspect, run, serve
from .console import UsageError, app
from .report import reading_lines

__all__ = [
    "UsageError",
    "app",
    "backfill",
    "explain",
    "inspect",
    "main",
    "reading_lines",
    "run",
    "run_options",
    "serve",
]


def main() -> None:  # pragma: no cover - console script entry
    app()
