"""The ``textwash`` command line: run, explain (and the operations commands).

Prefect is imported only by the commands that run flows, after the run's API server
has been started, so ``explain`` answers at once and ``run`` overlaps the two.
"""

from __future__ import annotations

import time
import tomllib
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from cleaners import CleanConfig, ExtractionError, clean_document
from cleaners.core import warm_up

from .readers import InputError, RawDocument, ReadOptions, Reject, discover, read_file
from .runtime import configure_prefect, prefect_api, wait_for_api

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Repair, strip and normalize scraped text into an audited Parquet dataset.",
)
console = Console()
err = Console(stderr=True)


def load_config(path: Path | None, overrides: dict[str, Any]) -> tuple[CleanConfig, ReadOptions]:
    """Defaults in code, then a TOML file ([clean] and [read] tables), then CLI flags."""
    clean: dict[str, Any] = {}
    read: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise typer.BadParameter(f"cannot read config {path}: {exc}") from exc
        clean = dict(data.get("clean", {}))
        read = dict(data.get("read", {}))
    clean.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return CleanConfig.from_dict(clean), ReadOptions(**read)
    except (TypeError, ValueError) as exc:
        raise typer.BadParameter(f"bad configuration: {exc}") from exc


ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="TOML config file.")]


def _summary_table(summary: dict[str, Any], startup_s: float) -> Table:
    table = Table(title="textwash run", show_header=True, header_style="bold")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("documents", f"{summary['documents']:,}")
    table.add_row("rejects", f"{summary['rejects']:,}")
    table.add_row("lines removed", f"{summary['removed_lines']:,}")
    for cat, n in summary["removed_by_category"].items():
        table.add_row(f"  {cat}", f"{n:,}")
    mojibake = sum(n for k, n in summary["fixes"].items() if "mojibake" in k)
    table.add_row("documents with mojibake fixed", f"{mojibake:,}")
    for fix, n in summary["fixes"].items():
        table.add_row(f"  fix: {fix}", f"{n:,}")
    for error, n in summary["rejects_by_error"].items():
        table.add_row(f"  reject: {error}", f"{n:,}")
    table.add_row("characters in", f"{summary['chars_in']:,}")
    table.add_row("characters out", f"{summary['chars_out']:,}")
    table.add_row("shards run / skipped", f"{summary['shards_run']} / {summary['shards_skipped']}")
    table.add_row("flow time", f"{summary['seconds']:.2f} s")
    table.add_row("Prefect start-up", f"{startup_s:.2f} s")
    return table


OutputOpt = Annotated[Path, typer.Option("--output", "-o", help="Dataset folder.")]
RunnerOpt = Annotated[str, typer.Option(help="thread | process | dask")]
WorkersOpt = Annotated[
    int | None,
    typer.Option(help="Parallel shards (default: 1 thread, or all cores for process/dask)."),
]
AddressOpt = Annotated[str | None, typer.Option(help="Existing Dask scheduler address.")]
ShardMbOpt = Annotated[float, typer.Option(help="Target shard size in MB.")]
ShardFilesOpt = Annotated[int, typer.Option(help="Most files per shard.")]
ForceOpt = Annotated[bool, typer.Option(help="Redo shards that are already done.")]
StrictOpt = Annotated[bool, typer.Option(help="Exit non-zero if any input was rejected.")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Prefect logs.")]


def _with_prefect(verbose: bool, work):  # type: ignore[no-untyped-def]
    """Start the run's Prefect API (unless one is configured), overlapping its boot with
    Prefect's import and the engines' warm-up; run ``work(startup_seconds)``.

    A failure of the run itself (not of a document: those are rejects) is one clear
    line and exit code 1; ``--verbose`` shows the traceback too. Finished shards are
    kept, so the same command resumes.
    """
    t0 = time.perf_counter()
    configure_prefect(verbose)
    try:
        with prefect_api():
            from . import clean_corpus  # noqa: F401  (imports prefect while the server boots)

            warm_up()  # free while the server boots: the first shard would pay for it
            wait_for_api()
            return work(time.perf_counter() - t0)
    except Exception as exc:
        if verbose:
            err.print_exception()
        err.print(f"[red]error:[/red] the run failed: {type(exc).__name__}: {exc}")
        err.print("Finished shards are kept: run the same command again to resume.")
        raise typer.Exit(1) from None


def _run_options(
    clean_cfg: CleanConfig,
    read_opts: ReadOptions,
    runner: str,
    workers: int | None,
    address: str | None,
    shard_mb: float,
    shard_files: int,
    force: bool,
) -> dict[str, Any]:
    """The keyword arguments run and backfill pass alike to their flow."""
    return {
        "config": clean_cfg,
        "read_options": read_opts,
        "runner": runner,
        "workers": workers,
        "address": address,
        "shard_bytes": int(shard_mb * (1 << 20)),
        "shard_files": shard_files,
        "force": force,
    }


def _report_rejects(n: int, where: str, strict: bool) -> None:
    if n:
        console.print(
            f"[yellow]{n} input(s) rejected[/yellow]: see {where} for the source, reason "
            "and raw bytes."
        )
        if strict:
            raise typer.Exit(1)


@app.command()
def run(
    input: Annotated[
        str,
        typer.Argument(help="Folder, file or glob of .txt/.html/.jsonl/.parquet (optionally .gz)."),
    ] = "seeds",
    output: OutputOpt = Path("output"),
    config: ConfigOpt = None,
    runner: RunnerOpt = "thread",
    workers: WorkersOpt = None,
    address: AddressOpt = None,
    shard_mb: ShardMbOpt = 64.0,
    shard_files: ShardFilesOpt = 2000,
    force: ForceOpt = False,
    incremental: Annotated[
        bool,
        typer.Option(help="Clean only inputs the dataset has not seen; append parts (as serve)."),
    ] = False,
    strict: StrictOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Clean INPUT into the Parquet dataset OUTPUT (documents, removals, rejects, manifest)."""
    t0 = time.perf_counter()
    clean_cfg, read_opts = load_config(config, {})
    try:
        discover(input)  # a missing input is a usage error, before any server starts
    except InputError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None

    options = _run_options(
        clean_cfg, read_opts, runner, workers, address, shard_mb, shard_files, force
    )

    def work(startup: float) -> tuple[dict, float]:
        from .clean_corpus import run_clean_corpus

        return run_clean_corpus(input, str(output), incremental=incremental, **options), startup

    summary, startup = _with_prefect(verbose, work)
    console.print(_summary_table(summary, startup))
    console.print(f"dataset: {output}/  (total {time.perf_counter() - t0:.1f} s)")
    _report_rejects(summary["rejects"], f"{output}/rejects/", strict)


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
    output: OutputOpt = Path("output"),
    config: ConfigOpt = None,
    runner: RunnerOpt = "thread",
    workers: WorkersOpt = None,
    address: AddressOpt = None,
    shard_mb: ShardMbOpt = 64.0,
    shard_files: ShardFilesOpt = 2000,
    force: ForceOpt = False,
    strict: StrictOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Clean many partitions, each into OUTPUT/<partition name>/, one subflow each;
    resumable like run."""
    from .partitions import partition_paths  # no prefect import before configure_prefect

    t0 = time.perf_counter()
    clean_cfg, read_opts = load_config(config, {})
    try:
        paths = partition_paths(partitions, template, start, end)
    except ValueError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    if not paths:
        err.print("[red]error:[/red] no partition matches")
        raise typer.Exit(2)

    options = _run_options(
        clean_cfg, read_opts, runner, workers, address, shard_mb, shard_files, force
    )

    def work(startup: float) -> list[dict]:
        from .clean_corpus import run_backfill

        return run_backfill(paths, str(output), progress=True, **options)

    summaries = _with_prefect(verbose, work)
    table = Table(title="textwash backfill", header_style="bold")
    for col in ("partition", "documents", "rejects", "lines removed", "shards run/skipped"):
        table.add_column(col, justify="left" if col == "partition" else "right")
    for path, s in zip(paths, summaries, strict=True):
        table.add_row(
            Path(path).name,
            f"{s['documents']:,}",
            f"{s['rejects']:,}",
            f"{s['removed_lines']:,}",
            f"{s['shards_run']}/{s['shards_skipped']}",
        )
    console.print(table)
    console.print(
        f"{len(paths)} partition(s) into {output}/  (total {time.perf_counter() - t0:.1f} s)"
    )
    _report_rejects(sum(s["rejects"] for s in summaries), f"{output}/*/rejects/", strict)


def _explain_one(doc: RawDocument, cfg: CleanConfig, show_text: bool) -> None:
    console.rule(f"[bold]{doc.source}")
    try:
        result = clean_document(doc.content, cfg, is_html=doc.is_html, url=doc.url)
    except ExtractionError as exc:
        console.print(f"[red]rejected[/red] ({exc.reason}): {exc}")
        return
    console.print(f"title: {result.title!r}")
    if result.encoding:
        console.print(f"encoding: {result.encoding}")
    console.print(f"fixes: {', '.join(result.fixes) or '(none)'}")
    console.print(
        f"characters: {result.n_chars_in:,} in, {result.n_chars_out:,} out; "
        f"{len(result.text.splitlines())} paragraphs kept"
    )
    if result.removed:
        table = Table(show_header=True, header_style="bold")
        for col in ("line", "category", "rule", "text"):
            table.add_column(col, overflow="fold")
        for r in result.removed:
            table.add_row(
                str(r.line_no),
                r.category,
                r.rule,
                r.text if len(r.text) <= 160 else r.text[:157] + "...",
            )
        console.print(table)
    else:
        console.print("removed: (nothing)")
    if show_text:
        console.print(result.text)


@app.command()
def explain(
    file: Annotated[Path, typer.Argument(help="One input file (.txt, .html, .jsonl, ...).")],
    config: ConfigOpt = None,
    limit: Annotated[int, typer.Option(help="Most documents to show from a JSONL/Parquet.")] = 5,
    show_text: Annotated[bool, typer.Option(help="Print the clean text too.")] = False,
) -> None:
    """Show what textwash fixes and removes in FILE, and why."""
    cfg, opts = load_config(config, {})
    try:
        files = discover(file)
    except InputError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    shown = 0
    for f in files:
        for item in read_file(f, opts):
            if shown >= limit:
                return
            shown += 1
            if isinstance(item, Reject):
                console.rule(f"[bold]{item.source}")
                console.print(f"[red]rejected[/red] ({item.error}): {item.message}")
                continue
            _explain_one(item, cfg, show_text)


@app.command()
def serve(
    input: Annotated[str, typer.Argument(help="Folder or glob the scraper writes into.")],
    cron: Annotated[str, typer.Option(help='When to run, e.g. "*/15 * * * *".')],
    output: OutputOpt = Path("output"),
    name: Annotated[str, typer.Option(help="Deployment name.")] = "textwash",
    config: ConfigOpt = None,
    runner: RunnerOpt = "thread",
    workers: WorkersOpt = None,
    address: AddressOpt = None,
    shard_mb: ShardMbOpt = 64.0,
    shard_files: ShardFilesOpt = 2000,
    verbose: VerboseOpt = False,
) -> None:
    """Serve a scheduled deployment: each run cleans only the inputs the dataset has not
    seen and appends new parts. Needs a Prefect server (PREFECT_API_URL)."""
    import os

    if not os.environ.get("PREFECT_API_URL"):
        err.print(
            "[red]error:[/red] serve needs a Prefect server: start one with "
            "`prefect server start`, then set "
            "PREFECT_API_URL=http://127.0.0.1:4200/api (a temporary server cannot "
            "schedule runs)."
        )
        raise typer.Exit(2)
    clean_cfg, read_opts = load_config(config, {})
    configure_prefect(verbose)
    from .clean_corpus import serve as serve_flow

    options = _run_options(
        clean_cfg, read_opts, runner, workers, address, shard_mb, shard_files, False
    )
    options.pop("force")  # scheduled runs are incremental: nothing to redo
    serve_flow(input, str(output), cron=cron, name=name, **options)


def main() -> None:  # pragma: no cover - console script entry
    app()


@app.command()
def inspect(
    output: Annotated[Path, typer.Argument(help="A dataset folder written by textwash.")] = Path(
        "output"
    ),
) -> None:
    """Summarize a dataset: rows and parts, removals by category, rejects, versions."""
    from collections import Counter

    import pyarrow.parquet as pq

    from .dataset import read_manifest
    from .schema import TABLES

    if not output.is_dir():
        err.print(f"[red]error:[/red] not a folder: {output}")
        raise typer.Exit(2)
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
            meta = pq.read_metadata(part)
            rows += meta.num_rows
            schema_meta = meta.schema.to_arrow_schema().metadata or {}
            versions.add(schema_meta.get(b"textwash.schema_version", b"?").decode())
            column = {"removals": "category", "rejects": "error"}.get(name)
            if column:
                counts[name].update(pq.read_table(part, columns=[column])[column].to_pylist())
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


if __name__ == "__main__":  # python -m flows.cli
    main()
