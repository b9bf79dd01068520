"""Phase 1, plan: the run's inputs, grouped into shards, and which are still to clean.

Two planners, one ``Plan``:

- ``plan_mirror`` (``textwash run``, backfills): the dataset mirrors the input. Shards
  follow the sorted inputs; finished ones are skipped; parts of shards no longer
  planned are removed at commit.
- ``plan_incremental`` (``--incremental``, scheduled runs): only the inputs the
  dataset has not seen, in shards numbered after the existing ones, appended. The
  plan is saved before any shard runs, so a run killed half-way is finished, shard
  for shard, by the next one before it looks for new inputs.

A shard is a run of input files in sorted order, bounded in bytes and in files, so
the plan is deterministic.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .data.dataset import read_marker
from .data.discovery import InputFile, discover
from .data.pieces import Piece, split_file
from .options import RunOptions
from .state.inputs import load_pending, load_seen, new_inputs, next_index, save_pending
from .state.markers import Recipe, ShardMarker


@dataclass(frozen=True)
class Shard:
    index: int
    pieces: tuple[Piece, ...]

    @property
    def files(self) -> tuple[InputFile, ...]:
        return tuple(dict.fromkeys(p.file for p in self.pieces))

    @property
    def size(self) -> int:
        return sum(p.size for p in self.pieces)

    @property
    def key(self) -> str:
        """What the shard's output depends on: its pieces and their files' fingerprints."""
        h = hashlib.sha256()
        for p in self.pieces:
            line = f"{p.file.rel}\0{p.file.fingerprint}\0{p.start}:{p.stop}\n"
            h.update(line.encode("utf-8", "surrogatepass"))
        return h.hexdigest()[:32]

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "pieces": [
                {
                    **dataclasses.asdict(p.file),
                    "start": p.start,
                    "stop": p.stop,
                    "first": p.first,
                    "nbytes": p.nbytes,
                    "at": p.at,
                }
                for p in self.pieces
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Shard:
        pieces = []
        for d in data["pieces"]:
            d = dict(d)
            start, stop, first = d.pop("start"), d.pop("stop"), d.pop("first")
            nbytes = d.pop("nbytes", None)  # absent in plans written before it existed
            at = d.pop("at", 0)  # likewise
            pieces.append(Piece(InputFile(**d), start, stop, first, nbytes, at))
        return cls(data["index"], tuple(pieces))


# The last shards of a plan shrink to a quarter of what remains (guided
# self-scheduling): workers then finish together instead of one waiting on a full
# shard at the end. Never below 1 MB, where a task's own overhead starts to show.
TAIL_SHARDS = 4
MIN_SHARD_BYTES = 1 << 20


def shard_target(remaining: int, max_bytes: int, min_bytes: int = MIN_SHARD_BYTES) -> int:
    """The size of the next shard when ``remaining`` bytes are left to plan.

    >>> mb = 1 << 20
    >>> [shard_target(r * mb, 64 * mb) // mb for r in (1000, 100, 8, 2)]
    [64, 25, 2, 1]
    """
    return max(min(max_bytes, remaining // TAIL_SHARDS), min(min_bytes, max_bytes))


def plan_shards(
    files: list[InputFile], max_bytes: int = 64 << 20, max_files: int = 2000, first_index: int = 0
) -> list[Shard]:
    """Group files, in order, into shards of at most ``max_bytes`` / ``max_files``;
    a file larger than a shard (plain JSONL, Parquet) is split into pieces first.
    The plan depends only on the files and the limits, never on the workers."""
    total = sum(f.size for f in files)
    shards: list[Shard] = []
    current: list[Piece] = []
    size = planned = 0  # bytes in the current shard; bytes before it
    for f in files:
        left = total - planned - size  # bytes from this file's start to the end

        def size_at(offset: int, left: int = left) -> int:
            return shard_target(left - offset, max_bytes)

        for piece in split_file(f, size_at):
            limit = shard_target(total - planned, max_bytes)
            if current and (size + piece.size > limit or len(current) >= max_files):
                shards.append(Shard(first_index + len(shards), tuple(current)))
                current, planned, size = [], planned + size, 0
            current.append(piece)
            size += piece.size
    if current:
        shards.append(Shard(first_index + len(shards), tuple(current)))
    return shards


@dataclass(frozen=True)
class Plan:
    """What plan hands count, clean and commit."""

    shards: tuple[Shard, ...]  # every shard of the run, in plan order
    todo: tuple[Shard, ...]  # those still to clean
    done: tuple[ShardMarker, ...]  # markers of the finished ones
    identities: dict[str, tuple[str, str]]  # input -> (fingerprint, sha256), to remember
    incremental: bool
    keep: frozenset[int] | None  # shards the dataset keeps at commit; None: every one

    @property
    def first_index(self) -> int:
        return min((s.index for s in self.shards), default=0)


def inputs_of(input: str, out: Path, prefix: str = "") -> list[InputFile]:
    """The run's input files; never the dataset itself, nor any other textwash dataset."""
    return discover(input, exclude=(str(out),), prefix=prefix)


def _split_done(shards: list[Shard], out: Path, options: RunOptions) -> tuple[tuple, tuple]:
    """The shards to clean, and the markers of those already cleaned from the same
    inputs by the same recipe (options and code: ``Recipe``)."""
    recipe = Recipe.of(options)
    todo, done = [], []
    for shard in shards:
        marker = None if options.force else read_marker(out, shard.index)
        if marker is not None and marker.made_like(shard.key, recipe):
            done.append(marker)
        else:
            todo.append(shard)
    return tuple(todo), tuple(done)


def plan_mirror(files: list[InputFile], out: Path, options: RunOptions) -> Plan:
    seen = load_seen(out)
    _, changed = new_inputs(files, seen)
    identities = {f.rel: changed.get(f.rel) or seen[f.rel] for f in files}
    shards = plan_shards(files, options.shard_bytes, options.shard_files)
    todo, done = _split_done(shards, out, options)
    keep = frozenset(s.index for s in shards)
    return Plan(tuple(shards), todo, done, identities, False, keep)


def plan_incremental(files: list[InputFile], out: Path, options: RunOptions) -> Plan:
    seen = load_seen(out)
    pending = load_pending(out)
    saved, identities = pending if pending else ([], {})
    shards = [Shard.from_dict(s) for s in saved]
    new, looked_at = new_inputs(files, {**seen, **identities})
    first = max([next_index(out), *(s.index + 1 for s in shards)])
    shards = shards + plan_shards(new, options.shard_bytes, options.shard_files, first_index=first)
    identities = {**identities, **looked_at}
    if shards:  # before any shard runs: a crash resumes it (nothing new: nothing written)
        save_pending(out, [s.to_dict() for s in shards], identities)
    todo, done = _split_done(shards, out, options)
    return Plan(tuple(shards), todo, done, {**seen, **identities}, True, None)


def make_plan(files: list[InputFile], out: Path, options: RunOptions) -> Plan:
    planner = plan_incremental if options.incremental else plan_mirror
    return planner(files, out, options)
