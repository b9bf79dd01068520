"""``textwash explain``: a run's verdicts on a few documents, shown line by line.

The same steps as a run, without Prefect or a dataset: the counting pass over the
whole input (so a line repeated across its documents is ``repeated_line`` here as in
the dataset), plus a dataset's own counts when one is given, then each document
cleaned as a shard task would clean it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

from rich.console import Console
from rich.table import Table

from cleaners import CleanResult, ExtractionError

from .clean import BATCH_DOCS, clean_items
from .count import measure_shard
from .data.discovery import InputFile
from .data.documents import RawDocument, Reject
from .data.readers import read_pieces
from .dedup import Counts, decide
from .options import RunOptions
from .plan import plan_shards
from .state.linestats import counted_ids, load_counted, load_counts


def explain_results(
    files: list[InputFile], options: RunOptions, dataset: Path | None = None
) -> Iterator[tuple[RawDocument | Reject, CleanResult | ExtractionError | None]]:
    """Each document of ``files`` with what a run would make of it: its result, or the
    extraction error that rejects it (None for a document the reader rejected)."""
    cfg = options.config
    shards = plan_shards(files, 1 << 62, 1 << 30)  # one shard: the order a run keeps
    counts = load_counts(dataset) if dataset else Counts()
    repeated: dict = {}
    if cfg.strip_boilerplate and shards:
        skip = counted_ids(dataset) if dataset else set()
        before = load_counted(dataset) if dataset else []
        measured = measure_shard(shards[0], cfg, options.read, skip)
        counts = counts.merged(decide(before, measured, jaccard=cfg.near_duplicate_jaccard).counts)
        repeated = counts.frequent(cfg.repeated_line_min_docs)
    for shard in shards:
        items = read_pieces(shard.pieces, options.read)
        while batch := list(itertools.islice(items, BATCH_DOCS)):  # cleaned as a shard does
            docs = [i for i in batch if not isinstance(i, Reject)]
            results = iter(clean_items(docs, cfg, repeated))
            for item in batch:
                if isinstance(item, Reject):
                    yield item, None
                    continue
                result = next(results)
                if isinstance(result, Exception) and not isinstance(result, ExtractionError):
                    raise result
                yield item, result


def explain_documents(
    files: list[InputFile],
    options: RunOptions,
    dataset: Path | None,
    limit: int,
    show_text: bool,
    console: Console,
) -> None:
    for shown, (item, result) in enumerate(explain_results(files, options, dataset)):
        if shown >= limit:
            return
        console.rule(f"[bold]{item.source}")
        if isinstance(item, Reject):
            console.print(f"[red]rejected[/red] ({item.error}): {item.message}")
        elif isinstance(result, ExtractionError):
            console.print(f"[red]rejected[/red] ({result.reason}): {result}")
        elif result is not None:
            _show(result, show_text, console)


def _show(result: CleanResult, show_text: bool, console: Console) -> None:
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
