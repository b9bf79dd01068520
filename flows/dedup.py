"""Which documents are copies of one article: for the line counts, and for --dedup.

The counting pass measures every document (an exact hash and a MinHash of its
repaired text, the hashes of its lines); this module decides, over the whole run and
the documents the dataset counted before, in plan order:

- a document counts its lines for its site only if no earlier copy of it (the same
  text, or a near-copy: estimated Jaccard >= ``near_duplicate_jaccard``) of the same
  site was counted, so the same article fetched three times is one page to cc_net's
  line counts, not three;
- with ``--dedup exact`` or ``near``, a document with an earlier copy points to the
  first one (``duplicate_of``): in a mirror run, the first copy in the plan; in an
  incremental run, the copy the dataset already holds if there is one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from cleaners.dedup import NUM_PERM


class Counts:
    """Per site, per line hash, the number of distinct articles with the line: one
    row each in a Polars frame (``source`` categorical, ``line_hash`` u64, ``n_docs``),
    20 bytes a line (site code, hash, count) where Python dicts took about 75.

    >>> c = Counts.of_documents(["a.example", "a.example"], [np.array([1, 2]), np.array([2])])
    >>> c.as_dict(), c.frequent(2)
    ({'a.example': {1: 1, 2: 2}}, {'a.example': {2: 2}})
    """

    def __init__(self, frame: pl.DataFrame | None = None) -> None:
        self.frame = _COUNTS_EMPTY() if frame is None else frame

    @classmethod
    def of_documents(cls, sites: list[str], lines: list[np.ndarray]) -> Counts:
        """One count per document that holds a line (each document's lines unique)."""
        if not sites:
            return cls()
        hashes = np.concatenate(lines).astype(np.uint64, copy=False)
        # Each site's name once, then a code per line (not a string per line).
        names, code = np.unique(np.array(sites, dtype=object), return_inverse=True)
        per_line = np.repeat(code, [len(x) for x in lines])
        source = pl.Series("source", names.tolist(), dtype=pl.Categorical).gather(per_line)
        frame = pl.DataFrame(
            [
                source,
                pl.Series("line_hash", hashes),
                pl.Series("n_docs", np.ones(len(hashes), np.int64)),
            ]
        )
        return cls(_aggregate(frame))

    def merged(self, other: Counts) -> Counts:
        if not len(other.frame):
            return self
        if not len(self.frame):
            return other
        return Counts(_aggregate(pl.concat([self.frame, other.frame])))

    def frequent(self, min_docs: int) -> dict[str, dict[int, int]]:
        """Only what can decide anything: lines seen in at least ``min_docs`` documents."""
        kept = self.frame.filter(pl.col("n_docs") >= min_docs)
        return _nested(kept)

    def as_dict(self) -> dict[str, dict[int, int]]:
        return _nested(self.frame)

    def __len__(self) -> int:
        return len(self.frame)


def _COUNTS_EMPTY() -> pl.DataFrame:
    return pl.DataFrame(
        schema={"source": pl.Categorical, "line_hash": pl.UInt64, "n_docs": pl.Int64}
    )


def _aggregate(frame: pl.DataFrame) -> pl.DataFrame:
    """``n_docs`` summed per (source, line hash): a sort and a sum over each run of equal
    keys. Polars' hash group-by left about 200 bytes a row resident after it (140 MB
    for the 650,000 lines of 6,000 pages), which a one-thread run then kept."""
    if frame.is_empty():
        return frame
    code = frame["source"].to_physical().to_numpy()
    hashes = frame["line_hash"].to_numpy()
    order = np.lexsort((hashes, code))
    code, hashes = code[order], hashes[order]
    starts = np.ones(len(order), dtype=bool)
    starts[1:] = (code[1:] != code[:-1]) | (hashes[1:] != hashes[:-1])
    first = np.flatnonzero(starts)
    n_docs = np.add.reduceat(frame["n_docs"].to_numpy()[order], first)
    return frame[order[first]].with_columns(n_docs=pl.Series(n_docs, dtype=pl.Int64))


def _nested(frame: pl.DataFrame) -> dict[str, dict[int, int]]:
    out: dict[str, dict[int, int]] = {}
    for source, h, n in frame.iter_rows():
        out.setdefault(source, {})[h] = n
    return out


@dataclass
class Measured:
    """What the counting pass measured of a group of shards, in plan order."""

    doc_ids: list[str] = field(default_factory=list)
    sites: list[str | None] = field(default_factory=list)
    orders: list[tuple[int, int]] = field(default_factory=list)  # (shard index, position)
    exact: list[int] = field(default_factory=list)
    sigs: list[bytes | None] = field(default_factory=list)  # NUM_PERM uint32, or None
    lines: list[np.ndarray] = field(default_factory=list)  # uint64 line hashes
    # Documents of the plan the dataset counted before: only where they are.
    known: dict[str, tuple[int, int]] = field(default_factory=dict)
    items: int = 0  # inputs read, rejects and HTML pages included (progress)
    steps: dict[str, float] = field(default_factory=dict)  # seconds per step (a profile)

    def add(
        self,
        doc_id: str,
        site: str | None,
        order: tuple[int, int],
        exact: int,
        sig: np.ndarray | None,
        lines: Iterable[int],
    ) -> None:
        self.doc_ids.append(doc_id)
        self.sites.append(site)
        self.orders.append(order)
        self.exact.append(exact)
        self.sigs.append(None if sig is None else sig.astype(np.uint32).tobytes())
        self.lines.append(np.fromiter(lines, dtype=np.uint64))

    def extend(self, other: Measured) -> None:
        for name in ("doc_ids", "sites", "orders", "exact", "sigs", "lines"):
            getattr(self, name).extend(getattr(other, name))
        self.known.update(other.known)
        self.items += other.items
        for step, sec in other.steps.items():
            self.steps[step] = self.steps.get(step, 0.0) + sec


@dataclass(frozen=True)
class Counted:
    """A document the dataset has counted: the state that persists across runs."""

    doc_id: str
    site: str | None
    exact: int | None
    sig: bytes | None


@dataclass
class Decision:
    counts: Counts  # line counts the new documents add
    counted: list[Counted]  # the documents measured in this run, to remember
    duplicates: dict[str, str]  # doc_id -> the doc_id that keeps the text (--dedup)


class BandIndex:
    """Locality-sensitive hashing by bands: signatures that agree on all the rows of
    one band are candidates (then verified by their agreement over all rows)."""

    def __init__(self, bands: int, rows: int) -> None:
        self.rows = rows
        self.tables: list[dict[bytes, list[int]]] = [{} for _ in range(bands)]

    def _keys(self, sig: bytes) -> list[bytes]:
        width = self.rows * 4  # uint32 rows
        return [sig[i * width : (i + 1) * width] for i in range(len(self.tables))]

    def query(self, sig: bytes) -> set[int]:
        found: set[int] = set()
        for table, key in zip(self.tables, self._keys(sig), strict=True):
            found.update(table.get(key, ()))
        return found

    def insert(self, item: int, sig: bytes) -> None:
        for table, key in zip(self.tables, self._keys(sig), strict=True):
            table.setdefault(key, []).append(item)


def lsh_bands(threshold: float, num_perm: int = NUM_PERM, recall: float = 0.99) -> tuple[int, int]:
    """(bands, rows) of an LSH index that finds a pair of similarity ``threshold`` with
    probability ``recall`` or more, with as few dissimilar candidates as that allows
    (candidates are verified, so a miss costs more than a false candidate; datasketch's
    optimum for 64 permutations, (5, 11), misses 15 % of the pairs at J = 0.9 for
    t = 0.8).

    >>> lsh_bands(0.8), lsh_bands(0.9)
    ((12, 5), (9, 7))
    """
    for rows in range(num_perm, 0, -1):
        bands = num_perm // rows
        if 1 - (1 - threshold**rows) ** bands >= recall:
            return bands, rows
    return num_perm, 1


def first_copies(
    exact: list[int | None], sigs: list[bytes | None], jaccard: float | None
) -> list[int]:
    """For each document (in order), the index of the first document it copies: itself
    if none. ``jaccard`` None: exact copies only.

    >>> first_copies([1, 2, 1], [None, None, None], None)
    [0, 1, 0]
    """
    lsh = BandIndex(*lsh_bands(jaccard)) if jaccard is not None else None
    by_hash: dict[int, int] = {}
    first: list[int] = []
    for i, (h, sig) in enumerate(zip(exact, sigs, strict=True)):
        rep = first[by_hash[h]] if h is not None and h in by_hash else None
        if rep is None and lsh is not None and sig is not None:
            mine = np.frombuffer(sig, dtype=np.uint32)
            similar = [
                j
                for j in lsh.query(sig)
                if np.mean(np.frombuffer(sigs[j], dtype=np.uint32) == mine) >= jaccard  # type: ignore[arg-type]
            ]
            rep = min((first[j] for j in similar), default=None)
        first.append(i if rep is None else rep)
        if h is not None:
            by_hash.setdefault(h, i)
        if lsh is not None and sig is not None:
            lsh.insert(i, sig)
    return first


def decide(
    before: list[Counted],
    measured: Measured,
    *,
    jaccard: float,
    dedup: str = "off",
    incremental: bool = False,
) -> Decision:
    """Line counts of this run's documents, each article counted once per site, and
    the duplicates ``dedup`` asks for (see the module's docstring)."""
    order = sorted(range(len(measured.doc_ids)), key=measured.orders.__getitem__)
    known_ids = {c.doc_id for c in before}
    new = [i for i in order if measured.doc_ids[i] not in known_ids]
    nodes_exact = [c.exact for c in before] + [measured.exact[i] for i in new]
    nodes_sig = [c.sig for c in before] + [measured.sigs[i] for i in new]
    nodes_site = [c.site for c in before] + [measured.sites[i] for i in new]
    first = first_copies(nodes_exact, nodes_sig, jaccard)

    seen = {(first[k], nodes_site[k]) for k in range(len(before))}
    sites: list[str] = []
    lines: list[np.ndarray] = []
    for k, i in enumerate(new, start=len(before)):
        site = nodes_site[k]
        if (first[k], site) in seen:
            continue  # a copy of an article this site already counted
        seen.add((first[k], site))
        if site is not None and len(measured.lines[i]):
            sites.append(site)
            lines.append(measured.lines[i])
    counts = Counts.of_documents(sites, lines)

    duplicates: dict[str, str] = {}
    if dedup != "off":
        jac = jaccard if dedup == "near" else None
        if incremental:  # the dataset holds every document counted before
            ids = [c.doc_id for c in before] + [measured.doc_ids[i] for i in new]
            pool_exact, pool_sig = nodes_exact, nodes_sig
        else:  # the plan's documents only, in plan order
            by_id = {c.doc_id: c for c in before}
            plan = sorted(
                [(o, d) for d, o in measured.known.items() if d in by_id]
                + [(measured.orders[i], measured.doc_ids[i]) for i in new]
            )
            ids = [d for _, d in plan]
            new_at = {measured.doc_ids[i]: i for i in new}
            pool_exact = [by_id[d].exact if d in by_id else measured.exact[new_at[d]] for d in ids]
            pool_sig = [by_id[d].sig if d in by_id else measured.sigs[new_at[d]] for d in ids]
        firsts = first_copies(pool_exact, pool_sig, jac)
        in_run = set(measured.doc_ids) | set(measured.known)
        duplicates = {ids[k]: ids[f] for k, f in enumerate(firsts) if f != k and ids[k] in in_run}
    counted = [
        Counted(measured.doc_ids[i], measured.sites[i], measured.exact[i], measured.sigs[i])
        for i in new
    ]
    return Decision(counts, counted, duplicates)
