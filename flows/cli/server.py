"""``textwash server``: a Prefect server in the background that every command uses."""

from __future__ import annotations

from typing import Annotated

import typer

from .console import app, console, fail

server_app = typer.Typer(
    add_completion=False,
    rich_markup_mode="markdown",  # docstrings reflow: one line break is not a new line
    no_args_is_help=True,
    help="A Prefect server in the background (its UI on): every command uses it while it "
    "is up, and its runs are recorded in the UI. With none up, a run cleans in its own "
    "process without Prefect's API (`run --prefect` starts a temporary server instead); "
    "`serve` needs one.",
)
app.add_typer(server_app, name="server")


@server_app.command("start")
def server_start(
    port: Annotated[int, typer.Option(help="Port (another if it is taken).")] = 4200,
) -> None:
    """Start the background server: `prefect server start --background`, waited for
    until it answers (or say where it already runs)."""
    from ..servers import BackgroundServer

    if not 0 < port < 65536:
        raise fail(f"not a port: {port}")
    running = BackgroundServer.running()
    try:
        server = running or BackgroundServer.start(port)
    except RuntimeError as exc:
        raise fail(str(exc), 1) from None
    state = "already running" if running else "started"
    console.print(f"Prefect server {state}: UI {server.ui_url}, API {server.api_url}")
    console.print(
        f"(pid {server.pid}; every textwash command uses it; stop it with "
        "`textwash server stop` or `prefect server stop`)"
    )
    # Prefect's own CLI does not look for a server: without the URL, `prefect deploy`
    # starts a temporary one on the same database, which is then locked.
    console.print(f"For Prefect's own CLI: export PREFECT_API_URL={server.api_url}", soft_wrap=True)


@server_app.command("status")
def server_status() -> None:
    """Is the background server up? Exit code 1 when it is not."""
    from ..servers import BackgroundServer

    server = BackgroundServer.running()
    if server is None:
        console.print("Prefect server: not running (`textwash server start` starts one)")
        raise typer.Exit(1)
    console.print(f"Prefect server: running, UI {server.ui_url}, API {server.api_url}")


@server_app.command("stop")
def server_stop() -> None:
    """Stop the background server (`prefect server stop`)."""
    from ..servers import BackgroundServer

    server = BackgroundServer.read()
    if server is None:
        console.print("Prefect server: not running")
        return
    pid = server.pid
    server.stop()
    console.print(f"Prefect server stopped (pid {pid})")
