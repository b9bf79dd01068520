"""The ``textwash`` app, its consoles, and how a usage mistake is shown."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape

app = typer.Typer(
    add_completion=False,
    rich_markup_mode="markdown",  # docstrings reflow: one line break is not a new line
    no_args_is_help=True,
    help="Repair, strip and normalize scraped text into an audited Parquet dataset.",
)
console = Console()
err = Console(stderr=True)


class UsageError(Exception):
    """A mistake in the command line or the config: one line, exit code 2."""


def fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def warn(message: str) -> None:
    err.print(f"[yellow]warning:[/yellow] {escape(message)}", soft_wrap=True, highlight=False)
