"""What the commands print: a run's summary, its rejects, a dataset's contents."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from .console import console


def summary_table(summary: dict[str, Any], startup_s: float) -> Table:
    """What the run did next to what the dataset holds; an indented row is a part of
    the row above it."""
    dataset = summary.get("dataset", {})
    table = Table(title="textwash run", show_header=True, header_style="bold")
    table.add_column("measure")
    table.add_column("this run", justify="right")
    table.add_column("dataset", justify="right")
    for key, label in (
        ("documents", "documents"),
        ("duplicates", "  duplicates (no text)"),
        ("kept_repeated_lines", "  kept their repeated lines"),
    ):
        table.add_row(label, f"{summary.get(key, 0):,}", f"{dataset.get(key, 0):,}")
    for key, label, parts in (
        ("rejects", "rejects", "rejects_by_error"),
        ("removed_lines", "lines removed", "removed_by_category"),
    ):
        table.add_row(label, f"{summary.get(key, 0):,}", f"{dataset.get(key, 0):,}")
        _add_parts(table, summary[parts], dataset.get(parts, {}))
    mojibake = [
        f"{sum(n for k, n in fixes.items() if 'mojibake' in k):,}"
        for fixes in (summary["fixes"], dataset.get("fixes", {}))
    ]
    table.add_row("documents with mojibake fixed", *mojibake)
    if summary["fixes"] or dataset.get("fixes"):
        table.add_row("documents changed, by fix", "", "")
        _add_parts(table, summary["fixes"], dataset.get("fixes", {}))
    table.add_row("characters in", f"{summary['chars_in']:,}", f"{dataset.get('chars_in', 0):,}")
    table.add_row("characters out", f"{summary['chars_out']:,}", f"{dataset.get('chars_out', 0):,}")
    table.add_row(
        "shards run / skipped", f"{summary['shards_run']} / {summary['shards_skipped']}", ""
    )
    table.add_row("flow time", f"{summary['seconds']:.2f} s", "")
    table.add_row("start-up", f"{startup_s:.2f} s", "")
    return table


def _add_parts(table: Table, this_run: dict[str, int], in_dataset: dict[str, int]) -> None:
    """Indented rows, one per name the run or the dataset has."""
    for name in sorted({**this_run, **in_dataset}):
        n, total = this_run.get(name, 0), in_dataset.get(name, 0)
        table.add_row(f"  {name}", f"{n:,}", f"{total:,}")


def report(summary: dict[str, Any], startup: float) -> None:
    if summary["mode"] == "incremental" and summary["shards"] == 0:
        console.print("Nothing new: the dataset has seen every input; it was left as it was.")
    elif summary["shards_run"] == 0 and not (summary["documents"] or summary["rejects"]):
        console.print(
            f"Nothing to do: the {summary['shards_skipped']} shard(s) of this input are already "
            "done (--force redoes them)."
        )
    console.print(summary_table(summary, startup))


def backfill_table(partitions: list[str], summaries: list[dict[str, Any]]) -> Table:
    from ..data.partitions import partition_name

    table = Table(title="textwash backfill", header_style="bold")
    for col in ("partition", "documents", "rejects", "lines removed", "shards run/skipped"):
        table.add_column(col, justify="left" if col == "partition" else "right")
    for path, s in zip(partitions, summaries, strict=True):
        table.add_row(
            partition_name(path),
            f"{s['dataset']['documents']:,}",
            f"{s['dataset']['rejects']:,}",
            f"{s['dataset']['removed_lines']:,}",
            f"{s['shards_run']}/{s['shards_skipped']}",
        )
    return table


def rejected(summary: dict[str, Any]) -> int:
    """Rejects of this run (those of the shards it commits, an interrupted run's staged
    ones included), never those earlier runs reported: a rerun with nothing to do has
    none."""
    return int(summary["rejects"])


def report_rejects(n: int, where: str, strict: bool) -> None:
    if n:
        console.print(
            f"[yellow]{n} input(s) rejected[/yellow]: see {where} for the source, reason "
            "and raw bytes."
        )
        if strict:
            raise typer.Exit(1)


def tables_table(output: Path) -> tuple[Table, dict[str, Counter[str]]]:
    """Parts, rows and schema versions of each table of a dataset, and the removals
    by category and rejects by error."""
    import pyarrow.parquet as pq

    from ..data.dataset import read_table
    from ..data.schema import TABLES

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
    return table, counts


def print_dataset(output: Path, manifest: dict[str, Any]) -> None:
    """``textwash inspect``'s report of a dataset and its manifest."""
    table, counts = tables_table(output)
    console.print(table)
    for name, title in (("removals", "removed lines by category"), ("rejects", "rejects")):
        if counts[name]:
            t = Table(title=title, header_style="bold")
            t.add_column("name")
            t.add_column("count", justify="right")
            for key, n in counts[name].most_common():
                t.add_row(key, f"{n:,}")
            console.print(t)
    console.print(
        f"textwash {manifest.get('textwash_version')}, run started "
        f"{manifest.get('run_started')}, config {manifest.get('config_fingerprint')}, "
        f"{manifest.get('summary', {}).get('shards')} shard(s)"
    )
    console.print(reading_lines(str(output)), highlight=False, soft_wrap=True, markup=False)


def incomplete(output: Path) -> str:
    """What a dataset with no manifest is: one whose first run has not finished (it was
    interrupted, or is still running), and how to finish it."""
    from ..data.dataset import marker_indexes

    staged = len(marker_indexes(output, staged=True))
    done = f"; {staged} shard(s) finished and staged" if staged else ""
    return (
        f"{output} is incomplete: no run has committed it yet (no _manifest.json{done}); "
        "run the same command again to resume it"
    )


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
