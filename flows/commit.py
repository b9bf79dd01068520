"""Phase 4, commit: everything a run publishes goes through ``publish``, in one order.

A run stages what it publishes under ``OUTPUT/_staging/``: each cleaned shard's parts
(named with a tag new each time the shard is cleaned, so never the name of a part the
dataset already has) and marker, then, here, the state files (line counts, documents
counted, inputs seen) and an empty part for a table no shard has rows in. Then:

1. **journal**: ``_state/commit.json`` is written whole: every move (a staged file
   to its place), every deletion, and the new manifest. This is the commit point.
2. **move** each staged file into place (a rename; on a bucket a copy and a delete).
   New parts land beside the old ones: nothing the current manifest lists changes.
3. **manifest**: ``_manifest.json``, listing the shards and every part, is replaced.
4. **delete** what the new manifest does not list (parts and markers of shards no
   longer planned or cleaned again, temporary files), the deletions the journal
   names (the pending plan), and what is left under ``_staging/``.
5. **done**: the journal is deleted.

A reader following the manifest reads the old dataset until step 3 and the new one
from then on, never a mix. A crash before step 1 leaves the dataset as it was (the
next run drops the staged state files; its staged shards are resumed). A crash after
it is finished by the next run, which replays steps 2-5 from the journal before it
plans (``recover``): every step can be done twice.

``TEXTWASH_TEST_CRASH_AT`` (for tests only) names a step at which the process
SIGKILLs itself: ``staged``, ``journal``, ``move-<n>`` (before the n-th move, from
1), ``manifest``, ``deleted``.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cleaners.timing import Steps

from . import __version__
from .clean import Cleaned
from .count import Counting
from .data.dataset import (
    MANIFEST,
    STAGING,
    dataset_files,
    find_marker,
    load_json,
    marker_parts,
    marker_path,
    new_tag,
    part_name,
    part_path,
    remove_empty_staging,
    write_json_atomic,
    write_parquet_atomic,
)
from .data.schema import SCHEMA_VERSION, TABLES
from .data.storage import is_remote, move
from .options import RunOptions
from .plan import Plan
from .runners import is_plain
from .state import STATE_DIR
from .state.inputs import PENDING, next_index, save_seen
from .state.linestats import LEGACY_DOCS, save_counted, save_counts
from .state.markers import ShardMarker
from .state.prepared import drop_prepared

JOURNAL = "commit.json"
CRASH_AT = "TEXTWASH_TEST_CRASH_AT"


@dataclass(frozen=True)
class Run:
    """The run being committed: what it read, where it writes, how, since when."""

    input: str
    out: Path
    opts: RunOptions
    started: datetime
    t0: float  # perf_counter at the start


@dataclass(frozen=True)
class Publication:
    """What ``publish`` makes the dataset: staged files and where they go (paths
    relative to the dataset), what to delete, and the manifest."""

    moves: tuple[tuple[str, str], ...]
    deletes: tuple[str, ...]
    manifest: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"moves": self.moves, "deletes": self.deletes, "manifest": self.manifest}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Publication:
        moves = tuple((a, b) for a, b in data["moves"])
        return cls(moves, tuple(data["deletes"]), data["manifest"])


def crash_point(step: str) -> None:
    """Tests only: die here, as a power cut would, if ``TEXTWASH_TEST_CRASH_AT`` says so."""
    if os.environ.get(CRASH_AT) == step:
        os.kill(os.getpid(), signal.SIGKILL)


def publish(out: Path, publication: Publication) -> None:
    """Make ``publication`` the dataset, in the order the module's docstring gives."""
    crash_point("staged")
    write_json_atomic(publication.to_dict(), out / STATE_DIR / JOURNAL)
    crash_point("journal")
    apply(out, publication)


def apply(out: Path, publication: Publication) -> None:
    """Steps 2-5: idempotent, so that a commit cut short is finished by replaying it."""
    for n, (src, dst) in enumerate(publication.moves, start=1):
        crash_point(f"move-{n}")
        if (out / src).exists():
            if not is_remote(out):
                (out / dst).parent.mkdir(parents=True, exist_ok=True)
            move(out / src, out / dst)
    crash_point("manifest")
    write_json_atomic(publication.manifest, out / MANIFEST)
    listed = {p for parts in publication.manifest["parts"].values() for p in parts}
    listed |= {
        f"_shards/{marker_path(out, s['index']).name}" for s in publication.manifest["shards"]
    }
    for name in [*dataset_files(out), *publication.deletes]:
        if name not in listed:
            (out / name).unlink(missing_ok=True)
    clear_staging(out)
    crash_point("deleted")
    (out / STATE_DIR / JOURNAL).unlink(missing_ok=True)


def clear_staging(out: Path) -> None:
    """Everything under ``_staging/``: a commit has moved what it publishes."""
    drop_prepared(out)
    staging = out / STAGING
    for folder in [*TABLES, "_shards", STATE_DIR]:
        for path in _listing(staging / folder):
            path.unlink(missing_ok=True)
    remove_empty_staging(out)


def _listing(folder: Path) -> list[Path]:
    try:
        return [p for p in folder.iterdir() if p.is_file()] if folder.is_dir() else []
    except (FileNotFoundError, NotADirectoryError):
        return []


def recover(out: Path) -> bool:
    """Finish a commit a crash cut short (its journal is there), else drop state files
    a run staged but never committed. True if a commit was finished."""
    data = load_json(out / STATE_DIR / JOURNAL)
    if data is not None:
        apply(out, Publication.from_dict(data))
        return True
    for path in _listing(out / STAGING / STATE_DIR):
        path.unlink(missing_ok=True)
    return False


def dataset_markers(out: Path, plan: Plan) -> list[tuple[ShardMarker, bool]]:
    """The shards the dataset holds after this commit, each with whether it is staged."""
    indexes = sorted(plan.keep) if plan.keep is not None else range(next_index(out))
    return [found for i in indexes if (found := find_marker(out, i))]


def stage(out: Path, plan: Plan, counting: Counting, markers: list) -> tuple[list, dict]:
    """Write the state files and any empty part under ``_staging/``; the moves that
    publish them and the shards' staged files, and each table's parts."""
    staging = out / STAGING
    save_counts(staging, counting.counts)
    save_counted(staging, list(counting.counted))
    save_seen(staging, plan.identities)
    moves = [(f"{STAGING}/{STATE_DIR}/{n}", f"{STATE_DIR}/{n}") for n in _state_files(staging)]
    parts: dict[str, list[str]] = {t: [] for t in TABLES}
    for marker, staged in markers:
        for table, path in marker_parts(marker).items():
            parts[table].append(path)
            if staged:
                moves.append((f"{STAGING}/{path}", path))
        if staged:
            name = marker_path(out, marker.index).name
            moves.append((f"{STAGING}/_shards/{name}", f"_shards/{name}"))
    for table, schema in TABLES.items():
        if not parts[table]:  # a glob over the table always matches, reads zero rows
            tag = new_tag()
            write_parquet_atomic(
                schema.empty_table(), part_path(out, table, plan.first_index, True, tag)
            )
            path = f"{table}/{part_name(plan.first_index, tag)}"
            moves.append((f"{STAGING}/{path}", path))
            parts[table].append(path)
    return moves, parts


def _state_files(staging: Path) -> list[str]:
    return sorted(p.name for p in _listing(staging / STATE_DIR))


def commit(
    run: Run, plan: Plan, counting: Counting, cleaned: Cleaned, profile: dict | None = None
) -> dict[str, Any]:
    """Publish the run: stage the state, then ``publish`` the shards, the state and
    the manifest; then an artifact. ``profile``: the run's phases (a Steps) and the
    counting pass's steps, to which the cleaning tasks' and the commit's are added."""
    t_commit = time.perf_counter()
    out, opts = run.out, run.opts
    markers = dataset_markers(out, plan)
    moves, parts = stage(out, plan, counting, markers)
    dataset = [m for m, _ in markers]
    published = [m for m, staged in markers if staged]
    ran = list(cleaned.markers)
    summary = run_summary(run, plan, published, dataset, len(ran))
    if profile is not None:
        summary["profile"] = profile_of(profile, ran, time.perf_counter() - t_commit)
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "textwash_version": __version__,
        "config": opts.config.to_dict(),
        "config_fingerprint": opts.config.fingerprint(),
        "read_options": dataclasses.asdict(opts.read),
        "dedup": opts.dedup,
        "run_started": run.started.isoformat(),
        "mode": summary["mode"],
        "summary": summary,
        "shards": [m.to_dict() for m in dataset],
        "parts": {t: sorted(p) for t, p in parts.items()},
    }
    deletes = (f"{STATE_DIR}/{PENDING}", f"{STATE_DIR}/{LEGACY_DOCS}")
    publish(out, Publication(tuple(moves), deletes, manifest))
    if not is_plain():  # no API, no artifact: the manifest is the record
        _artifact(summary)
    return summary


def run_summary(
    run: Run, plan: Plan, published: list[ShardMarker], dataset: list[ShardMarker], ran: int
) -> dict[str, Any]:
    """What the run adds to the dataset next to what the dataset holds. ``published``:
    the shards it commits, the ``ran`` it cleaned and any an interrupted run had staged
    (that run reported nothing: its rejects are this one's to report)."""
    return {
        "input": os.fspath(run.input),
        "output": str(run.out),
        "mode": "incremental" if plan.incremental else "mirror",
        **merge_counts(published),
        "shards": len(plan.shards),
        "shards_run": ran,
        "shards_skipped": len(plan.done),
        "seconds": round(time.perf_counter() - run.t0, 3),
        "dataset": merge_counts(dataset),
    }


def nothing_new(run: Run, plan: Plan) -> dict[str, Any]:
    """The summary of an incremental run that found no new input. It publishes nothing:
    the manifest still describes the last run that added something."""
    summary = run_summary(run, plan, [], [m for m, _ in dataset_markers(run.out, plan)], 0)
    if not is_plain():
        _artifact(summary)
    return summary


def merge_counts(markers: list[ShardMarker]) -> dict[str, Any]:
    """Totals over shards."""
    keys = ("documents", "duplicates", "kept_repeated_lines", "rejects", "removed_lines")
    total: dict[str, Any] = dict.fromkeys((*keys, "chars_in", "chars_out"), 0)
    maps: dict[str, Counter[str]] = {
        k: Counter() for k in ("removed_by_category", "rejects_by_error", "fixes")
    }
    for m in markers:
        c = m.counts
        for k in total:
            total[k] += c.get(k, 0)  # markers of earlier versions lack the newer counts
        for k, counter in maps.items():
            counter.update(c[k])
    return {**total, **{k: dict(sorted(v.items())) for k, v in maps.items()}}


def profile_of(profile: dict[str, Any], ran: list[ShardMarker], commit: float) -> dict:
    """Where a run's time went: the flow's phases (seconds, wall clock) and, summed over
    the tasks, the steps of counting and of cleaning (seconds of work: with two
    workers, about twice the phase's wall time)."""
    phases: Steps = profile["phases"]
    phases.add("commit", commit)
    cleaning = Steps()
    for marker in ran:
        cleaning.merge(marker.steps)
    return {"phases": phases.as_dict(), "count": profile["count"], "clean": cleaning.as_dict()}


def summary_markdown(summary: dict[str, Any]) -> str:
    """The run summary as the ``textwash-run-summary`` Prefect artifact."""
    dataset = summary.get("dataset", {})
    lines = ["# textwash run", "", "| measure | this run | dataset |", "|---|---|---|"]
    for key in ("documents", "duplicates", "rejects", "removed_lines", "chars_in", "chars_out"):
        lines.append(f"| {key} | {summary.get(key)} | {dataset.get(key)} |")
    for key in ("input", "output", "mode", "shards_run", "shards_skipped", "seconds"):
        lines.append(f"| {key} | {summary.get(key)} | |")
    for section in ("removed_by_category", "rejects_by_error", "fixes"):
        if summary.get(section):
            lines += ["", f"## {section} (this run)", "", "| name | count |", "|---|---|"]
            lines += [f"| {k} | {v} |" for k, v in summary[section].items()]
    return "\n".join(lines) + "\n"


def _artifact(summary: dict[str, Any]) -> None:
    try:
        from prefect.artifacts import create_markdown_artifact

        create_markdown_artifact(
            summary_markdown(summary),
            key="textwash-run-summary",
            description="textwash clean_corpus summary",
        )
    except Exception:  # an artifact is a convenience; the manifest is the record
        pass
