"""The commands that clean or look: run, backfill, explain, serve, inspect."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from cleaners.config import ConfigError

from ..data.discovery import TEXT_SUFFIXES, InputFile
from ..data.storage import as_path, is_url
from ..parameters import BACKFILL, SERVE
from ..runners import default_runner
from ..runtime import configure_prefect, find_api_url
from .checks import check_cron, check_output, find_inputs, run_options
from .console import UsageError, app, console, err, fail, warn
from .params import RUN, ConfigOpt, OutputOpt, PrefectOpt, StrictOpt, VerboseOpt, run_options_of
from .report import (
    backfill_table,
    incomplete,
    print_dataset,
    rejected,
    report,
    report_rejects,
)
from .running import with_prefect


def _print_version(value: bool) -> None:
    if value:
        from .. import __version__

        console.print(f"textwash {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_print_version, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    pass


def _has_html_files(files: list[InputFile]) -> bool:
    """Does the input hold HTML files? (JSONL and Parquet records may hold pages too:
    their first one imports the extractor.)"""
    return any(TEXT_SUFFIXES.get(Path(f.rel).suffix.lower()) == "html" for f in files)


@app.command()
@run_options_of(*RUN)
def run(
    input: Annotated[
        str,
        typer.Argument(help="Folder, file or glob of .txt/.html/.jsonl/.parquet (optionally .gz)."),
    ] = "seeds",
    output: OutputOpt = "output",
    *,
    strict: StrictOpt = False,
    prefect: PrefectOpt = False,
    verbose: VerboseOpt = False,
    **shared: Any,
) -> None:
    """Clean INPUT into the Parquet dataset OUTPUT (documents, removals, rejects, manifest)."""
    t0 = time.perf_counter()
    try:
        options = run_options(run, shared)
        out = as_path(output)
        check_output(out, options)
        files = find_inputs(input, out)
        if shared["runner"] is None:
            options = options.replace(runner=default_runner(sum(f.size for f in files)))
    except UsageError as exc:
        raise fail(str(exc)) from None

    def work(startup: float, plain: bool) -> tuple[dict, float]:
        from ..launch import run_clean_corpus

        return run_clean_corpus(input, str(out), options, plain=plain), startup

    summary, startup = with_prefect(
        verbose, out, work, html=_has_html_files(files), prefect=prefect
    )
    report(summary, startup)
    console.print(escape(f"dataset: {out}/  (total {time.perf_counter() - t0:.1f} s)"))
    report_rejects(rejected(summary), f"{out}/rejects/", strict)


@app.command()
@run_options_of(*BACKFILL)
def backfill(
    partitions: Annotated[
        str | None, typer.Option(help="Glob of partition folders, e.g. 'raw/date=*'.")
    ] = None,
    template: Annotated[
        str | None, typer.Option(help="Partition path with {date}, e.g. 'raw/date={date}'.")
    ] = None,
    start: Annotated[str | None, typer.Option(help="First date (YYYY-MM-DD).")] = None,
    end: Annotated[str | None, typer.Option(help="Last date, inclusive.")] = None,
    output: OutputOpt = "output",
    *,
    strict: StrictOpt = False,
    prefect: PrefectOpt = False,
    verbose: VerboseOpt = False,
    **shared: Any,
) -> None:
    """Clean many partitions, each into OUTPUT/PARTITION/, one subflow each;
    resumable like run. Sources start with the partition's name."""
    from ..data.partitions import runnable_partitions

    t0 = time.perf_counter()
    try:
        options = run_options(backfill, shared)
        out = as_path(output)
        check_output(out, options)
        full = runnable_partitions(partitions, template, start, end, str(out), warn=warn)
    except (ConfigError, UsageError) as exc:
        raise fail(str(exc)) from None

    def work(startup: float, plain: bool) -> list[dict[str, Any]]:
        from ..launch import run_backfill

        return run_backfill(full, str(out), options, plain=plain)

    summaries = with_prefect(verbose, out, work, prefect=prefect)
    console.print(backfill_table(full, summaries))
    console.print(
        escape(f"{len(full)} partition(s) into {out}/  (total {time.perf_counter() - t0:.1f} s)")
    )
    report_rejects(sum(map(rejected, summaries)), f"{out}/*/rejects/", strict)


@app.command()
def explain(
    file: Annotated[str, typer.Argument(help="An input file or folder (.txt, .jsonl, ...).")],
    config: ConfigOpt = None,
    dataset: Annotated[
        str | None,
        typer.Option(help="A dataset the input was cleaned into: use its line counts too."),
    ] = None,
    limit: Annotated[int, typer.Option(help="Most documents to show from a JSONL/Parquet.")] = 5,
    show_text: Annotated[bool, typer.Option(help="Print the clean text too.")] = False,
) -> None:
    """Show what textwash fixes and removes in FILE, and why: the same verdicts a run of
    FILE gives (lines repeated across its documents included)."""
    from ..explain import explain_documents

    try:
        options = run_options(explain, locals())
        files = find_inputs(file, Path(os.devnull))
    except UsageError as exc:
        raise fail(str(exc)) from None
    if limit < 1:
        raise fail("--limit must be at least 1")
    known = as_path(dataset) if dataset else None
    explain_documents(files, options, known, limit, show_text, console)


@app.command()
@run_options_of(*SERVE)
def serve(
    input: Annotated[str, typer.Argument(help="Folder or glob the scraper writes into.")],
    cron: Annotated[str, typer.Option(help='When to run, e.g. "*/15 * * * *".')],
    output: OutputOpt = "output",
    name: Annotated[str, typer.Option(help="Deployment name.")] = "textwash",
    *,
    verbose: VerboseOpt = False,
    **shared: Any,
) -> None:
    """Serve a scheduled deployment: each run cleans only the inputs the dataset has not
    seen and appends new parts. Needs a Prefect server: `textwash server start`, or
    PREFECT_API_URL."""
    api_url = find_api_url()  # before check_cron imports Prefect, which reads it once
    if api_url is None:
        raise fail(
            "serve needs a Prefect server: start one with `textwash server start` (or "
            "`prefect server start` and PREFECT_API_URL=http://127.0.0.1:4200/api); a "
            "temporary server cannot schedule runs."
        )
    os.environ["PREFECT_API_URL"] = api_url
    configure_prefect(verbose)
    try:
        options = run_options(serve, shared, incremental=True)
        check_output(as_path(output), options)
        check_cron(cron)
        local = not is_url(input)
        if local and not os.path.exists(input) and not any(c in input for c in "*?["):
            raise UsageError(f"input not found: {input}")
    except UsageError as exc:
        raise fail(str(exc)) from None
    from ..scheduled_clean import serve as serve_flow

    config = shared["config"]
    signum, cut_short = serve_flow(input, str(output), options, cron=cron, name=name, config=config)
    if signum:
        cut = " and the run in progress Cancelled" if cut_short else ""
        err.print(
            f"stopped serving scheduled_clean/{name}: its schedule is paused{cut}; "
            f"`textwash serve` again resumes {'both' if cut_short else 'it'}",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(128 + signum)


@app.command()
def inspect(
    dataset: Annotated[
        str, typer.Argument(help="A dataset folder (or URL) written by textwash.")
    ] = "output",
) -> None:
    """Summarize a dataset: rows and parts, removals by category, rejects, versions.
    Exit 1 if no run has committed it yet."""
    from ..data.dataset import MANIFEST, read_manifest
    from ..data.discovery import DATASET_MARKERS
    from ..data.schema import TABLES

    output = as_path(dataset)
    if not output.is_dir():
        raise fail(f"not a folder: {output}")
    if not any((output / name).exists() for name in (*DATASET_MARKERS, *TABLES)):
        inside = sorted(p.parent.name for p in output.glob(f"*/{MANIFEST}"))
        hint = f"; datasets in it: {', '.join(inside[:3])}{', ...' if inside[3:] else ''}"
        raise fail(f"not a textwash dataset: {output}" + (hint if inside else ""))
    manifest = read_manifest(output)
    if manifest is None:
        raise fail(incomplete(output), code=1)
    print_dataset(output, manifest)
