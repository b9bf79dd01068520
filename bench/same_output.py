"""Do two textwash datasets hold the same rows? (A speed change must not change output.)

    uv run python bench/same_output.py DATASET_A DATASET_B

Compares ``documents``, ``removals`` and ``rejects`` row by row, sorted by ``doc_id``
(removals by ``doc_id`` and ``line_no``, rejects by ``source``), leaving out the
columns a run stamps (``cleaned_at``, ``rejected_at``). Prints the first difference of
each table and exits 1 if any table differs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RUN_TIME = ("cleaned_at", "rejected_at")
ORDER = {
    "documents": ["doc_id"],
    "removals": ["doc_id", "line_no"],
    "rejects": ["source", "position"],
}


def table(dataset: Path, name: str) -> pl.DataFrame:
    """One table of a dataset, its run-time columns out, in a stable order."""
    parts = sorted((dataset / name).glob("*.parquet"))
    frame = pl.concat([pl.read_parquet(p) for p in parts], how="vertical") if parts else None
    if frame is None:
        return pl.DataFrame()
    frame = frame.drop([c for c in RUN_TIME if c in frame.columns])
    return frame.sort(ORDER[name], nulls_last=True, maintain_order=True)


def differences(a: Path, b: Path) -> list[str]:
    """One line per table that differs (empty: the same rows)."""
    found = []
    for name in ORDER:
        x, y = table(a, name), table(b, name)
        if x.shape != y.shape or x.columns != y.columns:
            found.append(f"{name}: shape {x.shape} vs {y.shape}")
            continue
        if x.equals(y):
            continue
        for col in x.columns:
            differs = ~(x[col].eq_missing(y[col]))
            if differs.any():
                row = int(differs.arg_max())
                key = x[ORDER[name][0]][row]
                found.append(
                    f"{name}: {int(differs.sum())} rows differ in {col}, first at "
                    f"{key!r}: {x[col][row]!r:.200} vs {y[col][row]!r:.200}"
                )
                break
    return found


def main() -> None:
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    a, b = Path(sys.argv[1]), Path(sys.argv[2])
    found = differences(a, b)
    for line in found:
        print(line)
    counts = ", ".join(f"{n} {table(a, n).height}" for n in ORDER)
    print("different" if found else f"same rows ({counts})")
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
