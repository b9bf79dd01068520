"""``textwash explain``: a run's verdicts on a few documents, shown line by line.

The same steps as a run, without Prefect or a dataset: the counting pass over the
whole input (so a line repeated across its documents is ``repeated_line`` here as in
the dataset), plus a dataset's own counts when one is given, then each document
cleaned as a shard task would clean it.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from cleaners import ExtractionError

from .dedup import decide
from .linestats import counted_ids, frequent, load_counted, load_counts, merge
from .options import RunOptions
from .readers import InputFile, Reject
from .shards import clean_item, measure_shard, plan_shards, read_piece_items


def explain_documents(
    files: list[InputFile],
    options: RunOptions,
    dataset: Path | None,
    limit: int,
    show_text: bool,
    console: Console,
) -> None:
    cfg = options.config
    shards = plan_shards(files, 1 << 62, 1 << 30)  # one shard: the order a run keeps
    counts = load_counts(dataset) if dataset else {}
    before = load_counted(dataset) if dataset else []
    repeated: dict = {}
    if cfg.strip_boilerplate:
        skip = counted_ids(dataset) if dataset else set()
        measured = measure_shard(shards[0], cfg, options.read, skip) if shards else None
        if measured is not None:
            decision = decide(before, measured, jaccard=cfg.near_duplicate_jaccard)
            merge(counts, decision.counts)
        repeated = frequent(counts, cfg.repeated_line_min_docs)
    shown = 0
    for shard in shards:
        for item in read_piece_items(shard, options.read):
            if shown >= limit:
                return
            shown += 1
            console.rule(f"[bold]{item.source}")
            if isinstance(item, Reject):
                console.print(f"[red]rejected[/red] ({item.error}): {item.message}")
                continue
            try:
                result = clean_item(item, cfg, repeated)
            except ExtractionError as exc:
                console.print(f"[red]rejected[/red] ({exc.reason}): {exc}")
                continue
            console.print(f"title: {result.title!r}")
            if result.encoding:
                console.print(f"encoding: {result.encoding}")
            console.print(f"fixes: {', '.join(result.fixes) or '(none)'}")
            console.print(
                f"characters: {result.n_chars_in:,} in, {result.n_chars_out:,} out; "
                f"{len(result.text.splitlines())} paragraphs kept"
            )
            if result.kept_repeated_lines:
                console.print("repeated lines kept: removing them would empty the document")
            if result.removed:
                table = Table(show_header=True, header_style="bold")
                for col in ("line", "category", "rule", "text"):
                    table.add_column(col, overflow="fold")
                for r in result.removed:
                    text = r.text if len(r.text) <= 160 else r.text[:157] + "..."
                    table.add_row(str(r.line_no), r.category, r.rule, text)
                console.print(table)
            else:
                console.print("removed: (nothing)")
            if show_text:
                console.print(result.text)
