"""The ``textwash`` command line: run, backfill, serve, explain, inspect.

Every argument and config value is checked, and the inputs found, before any Prefect
server starts: a mistake is one line and exit code 2. Prefect is imported only by
the commands that run flows, after the run's API server has been started, so
``explain`` answers at once and ``run`` overlaps the two.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
)
from rich.table import Table
from rich.text import Text

from cleaners import CleanConfig
from cleaners.config import ConfigError

from . import options as options_module
from .data.readers import TEXT_SUFFIXES, InputError, InputFile, ReadOptions
from .data.readers import find_inputs as readers_find_inputs
from .data.storage import as_path, is_remote, is_url
from .options import RunOptions
from .runners import default_runner
from .runtime import configure_prefect, find_api_url, using_api
from .servers import TemporaryServer

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
    err.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def load_config(path: Path | None) -> tuple[CleanConfig, ReadOptions]:
    """Defaults in code, then a TOML file's [clean] and [read] tables."""
    try:
        return options_module.load_config(path)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None


def build_options(config: Path | None, flags: dict[str, Any] | None = None) -> RunOptions:
    """The run's options from the config file and a command's flags (its ``locals()``:
    the ones named in RUN_FLAGS are taken), validated."""
    try:
        return options_module.build_options(config, flags)
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
        from .data.dataset import dataset_version
        from .data.schema import SCHEMA_VERSION, can_append_to

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
        return readers_find_inputs(input, output)
    except InputError as exc:
        raise UsageError(str(exc)) from None


ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="TOML config file.")]
OutputOpt = Annotated[
    str, typer.Option("--output", "-o", help="Dataset folder, or a URL (s3://bucket/prefix).")
]
RunnerOpt = Annotated[str, typer.Option(help="thread | process | dask")]
WorkersOpt = Annotated[
    int | None,
    typer.Option(help="Parallel shards (default: 1 thread, or all cores for process/dask)."),
]
AddressOpt = Annotated[str | None, typer.Option(help="Existing Dask scheduler address.")]
ShardMbOpt = Annotated[float, typer.Option(help="Target shard size in MB.")]
ShardFilesOpt = Annotated[int, typer.Option(help="Most files per shard.")]
ForceOpt = Annotated[bool, typer.Option(help="Redo shards that are already done.")]
DedupOpt = Annotated[
    str,
    typer.Option(
        help="off | exact | near: copies of a document keep a row with duplicate_of set "
        "to the first copy, and no text."
    ),
]
StrictOpt = Annotated[bool, typer.Option(help="Exit non-zero if any input was rejected.")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Prefect logs.")]
PrefectOpt = Annotated[
    bool,
    typer.Option(
        help="With no Prefect server running, start a temporary one for the run (its "
        "UI and records), instead of cleaning without Prefect's API."
    ),
]


class AverageRate(ProgressColumn):
    """MB/s since the phase began, and the time left at that rate. Rich's own columns
    take the rate over the last samples, which a finished shard's jump turns into
    "186.7 GB/s"; the average since the start is steady and true."""

    def render(self, task: Task) -> Text:
        elapsed = task.finished_time if task.finished else task.elapsed
        if not elapsed or elapsed < 1 or not task.completed:
            return Text("      ?  MB/s  -:--", style="progress.data.speed")
        rate = task.completed / elapsed
        left = (task.total or 0) - task.completed
        eta = "0:00" if task.finished or left <= 0 else _clock(left / rate)
        return Text(f"{rate / 1e6:7.2f} MB/s {eta:>5}", style="progress.data.speed")


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class RichReporter:
    """The run's progress bar: documents, MB done of MB planned, rate, time left."""

    def __init__(self, console: Console) -> None:
        self.bar = Progress(
            TextColumn("{task.description:<22}"),
            BarColumn(),
            TextColumn("{task.fields[items]:>8,} docs"),
            DownloadColumn(),
            AverageRate(),
            console=console,
        )
        self.task: Any = None

    def start(self, phase: str, total_bytes: int, total_items: int | None) -> None:
        if self.task is None:
            self.bar.start()
        self.task = self.bar.add_task(phase, total=max(total_bytes, 1), items=0)

    def update(self, items: int, done_bytes: int) -> None:
        self.bar.update(self.task, completed=done_bytes, items=items)

    def finish(self) -> None:
        task = self.bar.tasks[-1]
        self.bar.update(self.task, completed=task.total)

    def close(self) -> None:
        if self.task is not None:
            self.bar.stop()


def _with_prefect(  # type: ignore[no-untyped-def]
    verbose: bool, output: Path, work, html: bool = True, prefect: bool = False
):
    """Run ``work(startup_seconds, plain)`` with a progress bar, on the Prefect API
    this machine has (runtime.find_api_url), or a temporary server with ``--prefect``,
    or else without Prefect's API (``plain``: one line says so).

    SIGINT and SIGTERM stop the run with one line and exit code 130 / 143 (see
    interrupt.py). A failure of the run itself (not of a document: those are rejects)
    is one clear line and exit code 1; ``--verbose`` shows the traceback too.
    """
    from .interrupt import Interrupted, interruptible, progress_line
    from .state.progress import remove_progress, reporting

    t0 = time.perf_counter()
    configure_prefect(verbose)
    bar = RichReporter(err)
    previous_url = os.environ.get("PREFECT_API_URL")
    api_url = find_api_url()
    if api_url is not None:
        # Before Prefect is imported: threads it starts outside the run's settings
        # context (a process pool's event forwarding) read the root settings, and
        # without the URL there they would start a temporary server of their own.
        os.environ["PREFECT_API_URL"] = api_url

    def on_exit(signum: int) -> None:
        bar.close()
        for progress in [output, *output.glob("*/")] if not is_remote(output) else [output]:
            remove_progress(progress)
        err.print(progress_line(), highlight=False)

    try:
        with interruptible(on_exit):
            server = None
            if api_url is None and prefect:
                err.print(
                    "Starting a temporary Prefect server for this run (10-50 s on a small "
                    "machine; `textwash server start` keeps one running instead)...",
                    highlight=False,
                )
                server = TemporaryServer()
                api_url = server.api_url
            elif api_url is None:
                err.print(
                    "No Prefect server running: cleaning in this process, without Prefect's "
                    "API (`textwash server start` records runs in the Prefect UI).",
                    highlight=False,
                )
            if api_url is not None:
                from . import clean_corpus  # noqa: F401  (imports Prefect)
            else:
                from . import pipeline  # noqa: F401  (no Prefect: none is needed)

            if server is not None:
                from cleaners.core import warm_up

                warm_up(html)  # free while the temporary server boots
                server.wait_ready()
            try:
                with using_api(api_url) if api_url else contextlib.nullcontext(), reporting(bar):
                    try:
                        return work(time.perf_counter() - t0, api_url is None)
                    finally:
                        bar.close()
            finally:
                if server is not None:
                    server.stop()
                # A later run in this process (a notebook, a test) finds its own API.
                if previous_url is None:
                    os.environ.pop("PREFECT_API_URL", None)
                else:
                    os.environ["PREFECT_API_URL"] = previous_url
    except Interrupted as exc:
        raise typer.Exit(exc.exit_code) from None
    except Exception as exc:
        if verbose:
            err.print_exception()
        err.print(f"[red]error:[/red] the run failed: {type(exc).__name__}: {exc}", highlight=False)
        if any(output.glob("**/_shards/shard-*.json")):
            err.print("Finished shards are kept: the same command resumes from them.")
        raise typer.Exit(1) from None


def _warn(message: str) -> None:
    err.print(f"[yellow]warning:[/yellow] {message}", soft_wrap=True, highlight=False)


def _has_html_files(files: list[InputFile]) -> bool:
    """Does the input hold HTML files? (JSONL and Parquet records may hold pages too:
    their first one imports the extractor.)"""
    return any(TEXT_SUFFIXES.get(Path(f.rel).suffix.lower()) == "html" for f in files)


def _summary_table(summary: dict[str, Any], startup_s: float) -> Table:
    dataset = summary.get("dataset", {})
    table = Table(title="textwash run", show_header=True, header_style="bold")
    table.add_column("measure")
    table.add_column("this run", justify="right")
    table.add_column("dataset", justify="right")
    for key, label in (
        ("documents", "documents"),
        ("duplicates", "  duplicates (no text)"),
        ("kept_repeated_lines", "  kept their repeated lines"),
        ("rejects", "rejects"),
        ("removed_lines", "lines removed"),
    ):
        table.add_row(label, f"{summary.get(key, 0):,}", f"{dataset.get(key, 0):,}")
    for cat, n in summary["removed_by_category"].items():
        table.add_row(
            f"  {cat}", f"{n:,}", f"{dataset.get('removed_by_category', {}).get(cat, 0):,}"
        )
    mojibake = sum(n for k, n in summary["fixes"].items() if "mojibake" in k)
    table.add_row("documents with mojibake fixed", f"{mojibake:,}", "")
    for fix, n in summary["fixes"].items():
        table.add_row(f"  fix: {fix}", f"{n:,}", "")
    for error, n in summary["rejects_by_error"].items():
        table.add_row(f"  reject: {error}", f"{n:,}", "")
    table.add_row("characters in", f"{summary['chars_in']:,}", f"{dataset.get('chars_in', 0):,}")
    table.add_row("characters out", f"{summary['chars_out']:,}", f"{dataset.get('chars_out', 0):,}")
    table.add_row(
        "shards run / skipped", f"{summary['shards_run']} / {summary['shards_skipped']}", ""
    )
    table.add_row("flow time", f"{summary['seconds']:.2f} s", "")
    table.add_row("start-up", f"{startup_s:.2f} s", "")
    return table


def _report(summary: dict[str, Any], startup: float) -> None:
    if summary["shards_run"] == 0:
        console.print(
            f"Nothing to do: the {summary['shards_skipped']} shard(s) of this input are already "
            "done (--force redoes them)."
        )
    console.print(_summary_table(summary, startup))


def _rejected(summary: dict[str, Any]) -> int:
    """Rejects of this input: the dataset's in a mirror run (a resumed run still has
    them), this run's when appending."""
    if summary["mode"] == "mirror":
        return int(summary["dataset"]["rejects"])
    return int(summary["rejects"])


def _report_rejects(n: int, where: str, strict: bool) -> None:
    if n:
        console.print(
            f"[yellow]{n} input(s) rejected[/yellow]: see {where} for the source, reason "
            "and raw bytes."
        )
        if strict:
            raise typer.Exit(1)


def _print_version(value: bool) -> None:
    if value:
        from . import __version__

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


@app.command()
def run(
    input: Annotated[
        str,
        typer.Argument(help="Folder, file or glob of .txt/.html/.jsonl/.parquet (optionally .gz)."),
    ] = "seeds",
    output: OutputOpt = "output",
    config: ConfigOpt = None,
    runner: Annotated[
        str | None,
        typer.Option(
            help="thread | process | dask (default: a process per core, one thread "
            "for an input under 2 MB)"
        ),
    ] = None,
    workers: WorkersOpt = None,
    address: AddressOpt = None,
    shard_mb: ShardMbOpt = 64.0,
    shard_files: ShardFilesOpt = 2000,
    force: ForceOpt = False,
    incremental: Annotated[
        bool,
        typer.Option(help="Clean only inputs the dataset has not seen; append parts (as serve)."),
    ] = False,
    dedup: DedupOpt = "off",
    strict: StrictOpt = False,
    prefect: PrefectOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Clean INPUT into the Parquet dataset OUTPUT (documents, removals, rejects, manifest)."""
    t0 = time.perf_counter()
    try:
        options = build_options(config, {**locals(), "runner": runner or "thread"})
        out = as_path(output)
        check_output(out, options)
        files = find_inputs(input, out)
        if runner is None:
            options = options.replace(runner=default_runner(sum(f.size for f in files)))
    except UsageError as exc:
        raise fail(str(exc)) from None

    def work(startup: float, plain: bool) -> tuple[dict, float]:
        from .pipeline import run_clean_corpus

        return run_clean_corpus(input, str(out), options, plain=plain), startup

    summary, startup = _with_prefect(
        verbose, out, work, html=_has_html_files(files), prefect=prefect
    )
    _report(summary, startup)
    console.print(f"dataset: {out}/  (total {time.perf_counter() - t0:.1f} s)")
    _report_rejects(_rejected(summary), f"{out}/rejects/", strict)


@app.command()
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
    config: ConfigOpt = None,
    runner: RunnerOpt = "thread",
    workers: WorkersOpt = None,
    address: AddressOpt = None,
    shard_mb: ShardMbOpt = 64.0,
    shard_files: ShardFilesOpt = 2000,
    force: ForceOpt = False,
    dedup: DedupOpt = "off",
    strict: StrictOpt = False,
    prefect: PrefectOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Clean many partitions, each into OUTPUT/PARTITION/, one subflow each;
    resumable like run. Sources start with the partition's name."""
    from .data.partitions import partition_name, runnable_partitions

    t0 = time.perf_counter()
    try:
        options = build_options(config, locals())
        out = as_path(output)
        check_output(out, options)
        full = runnable_partitions(partitions, template, start, end, str(out), warn=_warn)
    except (ConfigError, UsageError) as exc:
        raise fail(str(exc)) from None

    def work(startup: float, plain: bool) -> list[dict]:
        from .pipeline import run_backfill

        return run_backfill(full, str(out), options, plain=plain)

    summaries = _with_prefect(verbose, out, work, prefect=prefect)
    table = Table(title="textwash backfill", header_style="bold")
    for col in ("partition", "documents", "rejects", "lines removed", "shards run/skipped"):
        table.add_column(col, justify="left" if col == "partition" else "right")
    for path, s in zip(full, summaries, strict=True):
        table.add_row(
            partition_name(path),
            f"{s['dataset']['documents']:,}",
            f"{s['dataset']['rejects']:,}",
            f"{s['dataset']['removed_lines']:,}",
            f"{s['shards_run']}/{s['shards_skipped']}",
        )
    console.print(table)
    console.print(f"{len(full)} partition(s) into {out}/  (total {time.perf_counter() - t0:.1f} s)")
    _report_rejects(sum(map(_rejected, summaries)), f"{out}/*/rejects/", strict)


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
    from .explain import explain_documents

    try:
        options = build_options(config)
        files = find_inputs(file, Path(os.devnull))
    except UsageError as exc:
        raise fail(str(exc)) from None
    if limit < 1:
        raise fail("--limit must be at least 1")
    known = as_path(dataset) if dataset else None
    explain_documents(files, options, known, limit, show_text, console)


@app.command()
def serve(
    input: Annotated[str, typer.Argument(help="Folder or glob the scraper writes into.")],
    cron: Annotated[str, typer.Option(help='When to run, e.g. "*/15 * * * *".')],
    output: OutputOpt = "output",
    name: Annotated[str, typer.Option(help="Deployment name.")] = "textwash",
    config: ConfigOpt = None,
    runner: RunnerOpt = "thread",
    workers: WorkersOpt = None,
    address: AddressOpt = None,
    shard_mb: ShardMbOpt = 64.0,
    shard_files: ShardFilesOpt = 2000,
    dedup: DedupOpt = "off",
    verbose: VerboseOpt = False,
) -> None:
    """Serve a scheduled deployment: each run cleans only the inputs the dataset has not
    seen and appends new parts. Needs a Prefect server: `textwash server start`, or
    PREFECT_API_URL."""
    api_url = find_api_url()  # before _check_cron imports Prefect, which reads it once
    if api_url is None:
        raise fail(
            "serve needs a Prefect server: start one with `textwash server start` (or "
            "`prefect server start` and PREFECT_API_URL=http://127.0.0.1:4200/api); a "
            "temporary server cannot schedule runs."
        )
    os.environ["PREFECT_API_URL"] = api_url
    configure_prefect(verbose)
    try:
        options = build_options(config, {**locals(), "incremental": True})
        check_output(as_path(output), options)
        _check_cron(cron)
        local = not is_url(input)
        if local and not os.path.exists(input) and not any(c in input for c in "*?["):
            raise UsageError(f"input not found: {input}")
    except UsageError as exc:
        raise fail(str(exc)) from None
    from .scheduled_clean import serve as serve_flow

    serve_flow(input, str(output), options, cron=cron, name=name, config=config)


def _check_cron(cron: str) -> None:
    from prefect.client.schemas.schedules import CronSchedule

    try:
        CronSchedule(cron=cron)
    except ValueError:  # pydantic's ValidationError
        raise UsageError(f"not a cron expression: {cron!r} (e.g. '*/15 * * * *')") from None


@app.command()
def inspect(
    dataset: Annotated[
        str, typer.Argument(help="A dataset folder (or URL) written by textwash.")
    ] = "output",
) -> None:
    """Summarize a dataset: rows and parts, removals by category, rejects, versions."""
    from collections import Counter

    import pyarrow.parquet as pq

    from .data.dataset import MANIFEST, read_manifest, read_table
    from .data.readers import DATASET_MARKERS
    from .data.schema import TABLES

    output = as_path(dataset)
    if not output.is_dir():
        raise fail(f"not a folder: {output}")
    if not any((output / name).exists() for name in (*DATASET_MARKERS, *TABLES)):
        inside = sorted(p.parent.name for p in output.glob(f"*/{MANIFEST}"))
        hint = f"; datasets in it: {', '.join(inside[:3])}{', ...' if inside[3:] else ''}"
        raise fail(f"not a textwash dataset: {output}" + (hint if inside else ""))
    table = Table(title=f"textwash dataset {output}", header_style="bold")
    table.add_column("table")
    table.add_column("parts", justify="right")
    table.add_column("rows", justify="right")
    table.add_column("schema version")
    counts: dict[str, Counter[str]] = {"removals": Counter(), "rejects": Counter()}
    for name in TABLES:
        parts = sorted((output / name).glob("part-*.parquet"))
        rows = 0
        versions = set()
        for part in parts:
            with part.open("rb") as fh:
                meta = pq.read_metadata(fh)
            rows += meta.num_rows
            schema_meta = meta.schema.to_arrow_schema().metadata or {}
            versions.add(schema_meta.get(b"textwash.schema_version", b"?").decode())
            column = {"removals": "category", "rejects": "error"}.get(name)
            if column:
                counts[name].update(read_table(part, columns=[column])[column].to_pylist())
        table.add_row(name, str(len(parts)), f"{rows:,}", ", ".join(sorted(versions)) or "-")
    console.print(table)
    for name, title in (("removals", "removed lines by category"), ("rejects", "rejects")):
        if counts[name]:
            t = Table(title=title, header_style="bold")
            t.add_column("name")
            t.add_column("count", justify="right")
            for key, n in counts[name].most_common():
                t.add_row(key, f"{n:,}")
            console.print(t)
    manifest = read_manifest(output)
    if manifest:
        console.print(
            f"textwash {manifest.get('textwash_version')}, run started "
            f"{manifest.get('run_started')}, config {manifest.get('config_fingerprint')}, "
            f"{manifest.get('summary', {}).get('shards')} shard(s)"
        )
    else:
        console.print("[yellow]no _manifest.json: not a finished textwash run[/yellow]")
    console.print(reading_lines(str(output)), highlight=False, soft_wrap=True, markup=False)


def reading_lines(dataset: str) -> str:
    """How to read each table: by its own glob (the dataset's root holds three tables of
    different schemas, which a reader of the root would mix into one).

    >>> print(reading_lines("clean").splitlines()[1])
      documents: SELECT * FROM 'clean/documents/*.parquet'   (DuckDB)
    """
    lines = ["Read each table by its own glob, never the dataset's root:"]
    for name in ("documents", "removals", "rejects"):
        glob = f"'{dataset}/{name}/*.parquet'"
        lines.append(f"  {name}: SELECT * FROM {glob}   (DuckDB)")
        lines.append(f"  {' ' * len(name)}  pl.read_parquet({glob})   (Polars)")
    return "\n".join(lines)


server_app = typer.Typer(
    add_completion=False,
    rich_markup_mode="markdown",  # docstrings reflow: one line break is not a new line
    no_args_is_help=True,
    help="A Prefect server in the background (its UI on): every command uses it while it "
    "is up, instead of starting a temporary one.",
)
app.add_typer(server_app, name="server")


@server_app.command("start")
def server_start(
    port: Annotated[int, typer.Option(help="Port (another if it is taken).")] = 4200,
) -> None:
    """Start the background server: `prefect server start --background`, waited for
    until it answers (or say where it already runs)."""
    from .servers import BackgroundServer

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


@server_app.command("status")
def server_status() -> None:
    """Is the background server up? Exit code 1 when it is not."""
    from .servers import BackgroundServer

    server = BackgroundServer.running()
    if server is None:
        console.print("Prefect server: not running (`textwash server start` starts one)")
        raise typer.Exit(1)
    console.print(f"Prefect server: running, UI {server.ui_url}, API {server.api_url}")


@server_app.command("stop")
def server_stop() -> None:
    """Stop the background server (`prefect server stop`)."""
    from .servers import BackgroundServer

    server = BackgroundServer.read()
    if server is None:
        console.print("Prefect server: not running")
        return
    pid = server.pid
    server.stop()
    console.print(f"Prefect server stopped (pid {pid})")


def main() -> None:  # pragma: no cover - console script entry
    app()


if __name__ == "__main__":  # python -m flows.cli
    main()
