"""Shard planning: bounded, ordered, complete, and smaller at the tail."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from flows.count import count_groups
from flows.data.discovery import InputFile, discover
from flows.data.readers import read_file, read_piece
from flows.plan import MIN_SHARD_BYTES, plan_shards, shard_target

MB = 1 << 20


def _txt(i: int, size: int) -> InputFile:
    return InputFile(path=f"/nonexistent/{i:05d}.txt", rel=f"{i:05d}.txt", size=size, mtime_ns=0)


@settings(deadline=None, max_examples=200)
@given(
    sizes=st.lists(st.integers(0, 40 * MB), max_size=60),
    max_mb=st.sampled_from([1, 4, 64]),
    max_files=st.integers(1, 50),
)
def test_plan_keeps_order_and_bounds(sizes: list[int], max_mb: int, max_files: int) -> None:
    files = [_txt(i, s) for i, s in enumerate(sizes)]
    plan = plan_shards(files, max_mb * MB, max_files)
    assert [p.file for s in plan for p in s.pieces] == files  # each file once, in order
    assert [s.index for s in plan] == list(range(len(plan)))
    for s in plan:
        assert len(s.pieces) <= max_files
        assert len(s.pieces) == 1 or s.size <= max_mb * MB  # only a lone file may exceed
    groups = count_groups(plan, max_mb * MB)
    assert [s for g in groups for s in g] == plan


def test_a_large_file_is_planned_with_a_shrinking_tail(tmp_path: Path) -> None:
    line = json.dumps({"text": "A line of an article. " * 20}) + "\n"
    path = tmp_path / "big.jsonl"
    path.write_text(line * (10 * MB // len(line)), encoding="utf-8")
    (f,) = discover(tmp_path)
    plan = plan_shards([f], 2 * MB)
    sizes = [s.size for s in plan]
    assert sum(sizes) == f.size  # the pieces cover the file, the last one included
    assert max(sizes) <= 2 * MB + len(line)
    # Full shards while much remains, then each about a quarter of what is left,
    # down to the floor: the workers finish together.
    assert sizes[0] > 1.9 * MB and sizes[-2] < 1.1 * MB
    assert all(a >= b - len(line) for a, b in itertools.pairwise(sizes[:-1]))
    whole = [(d.source, d.content) for d in read_file(f)]
    assert [(d.source, d.content) for s in plan for p in s.pieces for d in read_piece(p)] == whole


def test_shard_target() -> None:
    assert shard_target(10_000 * MB, 64 * MB) == 64 * MB
    assert shard_target(40 * MB, 64 * MB) == 10 * MB
    assert shard_target(MB, 64 * MB) == MIN_SHARD_BYTES
    assert shard_target(10 * MB, 1000) == 1000  # a limit under the floor is kept
