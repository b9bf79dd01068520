"""What the dataset remembers for the line counts (the cc_net idea), across runs.

``OUTPUT/_state/line_stats.parquet``: per site, per line hash, the number of distinct
articles that contain the line, so that scheduled runs, which see a few new articles
at a time, learn a site's footer over time. ``OUTPUT/_state/docs.parquet``: every
document counted (its signature, so a later copy of it is known as one, and so that
no document is counted twice).
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..data.dataset import read_table, write_parquet_atomic
from ..data.storage import write_atomic
from ..dedup import Counted, Counts
from . import STATE_DIR

LINE_STATS = "line_stats.parquet"
DOCS = "docs.parquet"
LEGACY_DOCS = "counted_docs.parquet"  # before signatures: doc_ids only
LINE_STATS_SCHEMA = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),
        pa.field("line_hash", pa.uint64(), nullable=False),
        pa.field("n_docs", pa.int64(), nullable=False),
    ]
)
DOCS_SCHEMA = pa.schema(
    [
        pa.field("doc_id", pa.string(), nullable=False),
        pa.field("site", pa.string()),
        pa.field("exact", pa.uint64()),
        pa.field("minhash", pa.binary()),
    ]
)


def load_counts(output: Path) -> Counts:
    path = output / STATE_DIR / LINE_STATS
    if not path.exists():
        return Counts()
    table = read_table(path)
    if pa.types.is_string(table["line_hash"].type):  # written as hex before 0.2
        hashes = pa.array([int(h, 16) for h in table["line_hash"].to_pylist()], pa.uint64())
        table = table.set_column(1, "line_hash", hashes)
    frame = pl.from_arrow(table.select(["source", "line_hash", "n_docs"]))
    assert isinstance(frame, pl.DataFrame)
    return Counts(frame.with_columns(pl.col("source").cast(pl.Categorical)))


def save_counts(output: Path, counts: Counts) -> None:
    """Sorted by site and hash, so that the same counts make the same file. Sorted as
    codes (each site's name once) and written a slice at a time: a Polars sort of the
    650,000 lines of 6,000 pages, sites as strings, raised a run's peak by 77 MB."""
    table = counts.frame.to_arrow().combine_chunks()
    if table.num_rows:
        source = table["source"].chunk(0)  # a dictionary: site names, a code per line
        rank = np.empty(len(source.dictionary), dtype=np.int64)
        rank[pc.sort_indices(source.dictionary).to_numpy()] = np.arange(len(rank))
        codes = source.indices.to_numpy(zero_copy_only=False)
        table = table.take(np.lexsort((table["line_hash"].to_numpy(), rank[codes])))

    def write(fh: IO[bytes]) -> None:
        with pq.ParquetWriter(fh, LINE_STATS_SCHEMA, compression="zstd") as writer:
            for part in table.to_batches(max_chunksize=1 << 16):
                writer.write_table(pa.Table.from_batches([part]).cast(LINE_STATS_SCHEMA))

    write_atomic(output / STATE_DIR / LINE_STATS, write)


def load_counted(output: Path) -> list[Counted]:
    """The documents counted before, in the order they were counted."""
    path = output / STATE_DIR / DOCS
    if path.exists():
        t = read_table(path)
        return [
            Counted(*row)
            for row in zip(
                *(t[c].to_pylist() for c in ("doc_id", "site", "exact", "minhash")), strict=True
            )
        ]
    legacy = output / STATE_DIR / LEGACY_DOCS
    if legacy.exists():
        return [Counted(d, None, None, None) for d in read_table(legacy)["doc_id"].to_pylist()]
    return []


def counted_ids(output: Path) -> set[str]:
    """Just the doc_ids of ``load_counted`` (what a counting task skips)."""
    for name in (DOCS, LEGACY_DOCS):
        path = output / STATE_DIR / name
        if path.exists():
            return set(read_table(path, columns=["doc_id"])["doc_id"].to_pylist())
    return set()


def save_counted(output: Path, counted: list[Counted]) -> None:
    table = pa.table(
        [
            [c.doc_id for c in counted],
            [c.site for c in counted],
            [c.exact for c in counted],
            [c.sig for c in counted],
        ],
        schema=DOCS_SCHEMA,
    )
    write_parquet_atomic(table, output / STATE_DIR / DOCS)
    (output / STATE_DIR / LEGACY_DOCS).unlink(missing_ok=True)
