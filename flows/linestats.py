"""Cross-document line counts (the cc_net idea), persisted with the dataset.

A counting pass over a run adds, for each document not counted before, one to every
line it contains, per source (the document's site). The counts live in
``OUTPUT/_state/line_stats.parquet`` so that scheduled runs, which see a few new
articles at a time, learn a site's footer over time; the documents already counted
are in ``OUTPUT/_state/counted_docs.parquet``, so a re-run never counts one twice.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .dataset import write_parquet_atomic

STATE_DIR = "_state"
LINE_STATS_SCHEMA = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),
        pa.field("line_hash", pa.string(), nullable=False),
        pa.field("n_docs", pa.int64(), nullable=False),
    ]
)
COUNTED_SCHEMA = pa.schema([pa.field("doc_id", pa.string(), nullable=False)])

Counts = dict[str, Counter[str]]  # source -> line_hash -> documents


def load_state(output: Path) -> tuple[Counts, set[str]]:
    counts: Counts = defaultdict(Counter)
    counted: set[str] = set()
    stats = output / STATE_DIR / "line_stats.parquet"
    if stats.exists():
        table = pq.read_table(stats)
        for source, h, n in zip(
            *(table[c].to_pylist() for c in LINE_STATS_SCHEMA.names), strict=True
        ):
            counts[source][h] = n
    docs = output / STATE_DIR / "counted_docs.parquet"
    if docs.exists():
        counted = set(pq.read_table(docs)["doc_id"].to_pylist())
    return counts, counted


def save_state(output: Path, counts: Counts, counted: set[str]) -> None:
    rows = sorted((s, h, n) for s, c in counts.items() for h, n in c.items())
    table = pa.table(
        [list(col) for col in zip(*rows, strict=True)] if rows else [[], [], []],
        schema=LINE_STATS_SCHEMA,
    )
    write_parquet_atomic(table, output / STATE_DIR / "line_stats.parquet")
    write_parquet_atomic(
        pa.table([sorted(counted)], schema=COUNTED_SCHEMA),
        output / STATE_DIR / "counted_docs.parquet",
    )


def merge(into: Counts, new: Counts) -> None:
    for source, counter in new.items():
        into.setdefault(source, Counter()).update(counter)


def frequent(counts: Counts, min_docs: int) -> dict[str, dict[str, int]]:
    """Only what can decide anything: lines seen in at least ``min_docs`` documents."""
    out = {}
    for source, counter in counts.items():
        kept = {h: n for h, n in counter.items() if n >= min_docs}
        if kept:
            out[source] = kept
    return out
