"""What a run will do: two planners, one plan.

- ``plan_mirror`` (``textwash run``, backfills): the dataset mirrors the input. Shards
  follow the sorted inputs; finished ones are skipped; parts of shards no longer
  planned are removed at commit.
- ``plan_incremental`` (``--incremental``, scheduled runs): only the inputs the
  dataset has not seen, in shards numbered after the existing ones, appended. The
  plan is saved before any shard runs, so a run killed half-way is finished, shard
  for shard, by the next one before it looks for new inputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .dataset import read_marker
from .incremental import load_pending, load_seen, new_inputs, next_index, save_pending
from .markers import Recipe, ShardMarker
from .options import RunOptions
from .readers import InputFile, discover
from .shards import Shard, plan_shards


@dataclass(frozen=True)
class Plan:
    shards: list[Shard]  # every shard of the run, in plan order
    todo: list[Shard]  # those still to clean
    done: list[ShardMarker]  # markers of the finished ones
    identities: dict[str, tuple[str, str]]  # input -> (fingerprint, sha256), to remember
    incremental: bool
    keep: set[int] | None  # shards the dataset keeps at commit; None: every one

    @property
    def first_index(self) -> int:
        return min((s.index for s in self.shards), default=0)


def inputs_of(input: str, out: Path, prefix: str = "") -> list[InputFile]:
    """The run's input files; never the dataset itself, nor any other textwash dataset."""
    return discover(input, exclude=(str(out),), prefix=prefix)


def _split_done(shards: list[Shard], out: Path, options: RunOptions) -> tuple[list, list]:
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
    return todo, done


def plan_mirror(files: list[InputFile], out: Path, options: RunOptions) -> Plan:
    seen = load_seen(out)
    _, changed = new_inputs(files, seen)
    identities = {f.rel: changed.get(f.rel) or seen[f.rel] for f in files}
    shards = plan_shards(files, options.shard_bytes, options.shard_files)
    todo, done = _split_done(shards, out, options)
    return Plan(shards, todo, done, identities, False, {s.index for s in shards})


def plan_incremental(files: list[InputFile], out: Path, options: RunOptions) -> Plan:
    seen = load_seen(out)
    pending = load_pending(out)
    shards, identities = pending if pending else ([], {})
    new, looked_at = new_inputs(files, {**seen, **identities})
    first = max([next_index(out), *(s.index + 1 for s in shards)])
    shards = shards + plan_shards(new, options.shard_bytes, options.shard_files, first_index=first)
    identities = {**identities, **looked_at}
    save_pending(out, shards, identities)  # before any shard runs: a crash resumes it
    todo, done = _split_done(shards, out, options)
    return Plan(shards, todo, done, {**seen, **identities}, True, None)


def make_plan(files: list[InputFile], out: Path, options: RunOptions) -> Plan:
    planner = plan_incremental if options.incremental else plan_mirror
    return planner(files, out, options)
