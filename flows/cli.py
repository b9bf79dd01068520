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


@app.command()
def run(
    input: Annotated[
        str,
        typer.Argument(help="Folder, file or glob of .txt/.html/.jsonl/.parquet (optionally .gz)."),
    ] = "seeds",
    output: Annotated[Path, typer.Option("--output", "-o", help="Dataset folder.")] = Path(
        "output"
    ),
    config: ConfigOpt = None,
    runner: Annotated[str, typer.Option(help="thread | process | dask")] = "thread",
    workers: Annotated[
        int | None,
        typer.Option(help="Parallel shards (default: 1 thread, or all cores for process/dask)."),
    ] = None,
    address: Annotated[str | None, typer.Option(help="Existing Dask scheduler address.")] = None,
    shard_mb: Annotated[float, typer.Option(help="Target shard size in MB.")] = 64.0,
    shard_files: Annotated[int, typer.Option(help="Most files per shard.")] = 2000,
    force: Annotated[bool, typer.Option(help="Redo shards that are already done.")] = False,
    strict: Annotated[bool, typer.Option(help="Exit non-zero if any input was rejected.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Prefect logs.")] = False,
) -> None:
    """Clean INPUT into the Parquet dataset OUTPUT (documents, removals, rejects, manifest)."""
    t0 = time.perf_counter()
    clean_cfg, read_opts = load_config(config, {})
    try:
        discover(input)  # a missing input is a usage error, before any server starts
    except InputError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    configure_prefect(verbose)
    with prefect_api():
        from .clean_corpus import run_clean_corpus  # imports prefect while the server boots

        warm_up()  # free while the server boots: the first shard would pay for it
        wait_for_api()
        startup = time.perf_counter() - t0
        summary = run_clean_corpus(
            input,
            str(output),
            config=clean_cfg,
            read_options=read_opts,
            runner=runner,
            workers=workers,
            address=address,
            shard_bytes=int(shard_mb * (1 << 20)),
            shard_files=shard_files,
            force=force,
        )
    console.print(_summary_table(summary, startup))
    console.print(f"dataset: {output}/  (total {time.perf_counter() - t0:.1f} s)")
    if summary["rejects"]:
        console.print(
            f"[yellow]{summary['rejects']} input(s) rejected[/yellow]: see "
            f"{output}/rejects/ for the source, reason and raw bytes."
        )
        if strict:
            raise typer.Exit(1)


def _explain_one(doc: RawDocument, cfg: CleanConfig) -> None:
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
            _explain_one(item, cfg)
            if show_text:
                result = clean_document(item.content, cfg, is_html=item.is_html, url=item.url)
                console.print(result.text)


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
