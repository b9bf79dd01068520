"""Resume cannot mix outputs: a shard is done only for the same inputs, options and code."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

import cleaners.boilerplate
import cleaners.models
import cleaners.mojibake.words
from flows.clean import process_shard
from flows.data.discovery import InputFile, discover
from flows.data.documents import ReadOptions
from flows.options import RunOptions
from flows.plan import make_plan
from flows.state import markers
from flows.state.markers import Recipe

from ...conftest import SEEDS

FINGERPRINTS = (markers.rules_fingerprint, markers.model_fingerprint, markers.words_fingerprint)


@pytest.fixture(autouse=True)
def fresh_fingerprints() -> Iterator[None]:
    """The code's fingerprints are computed once per process: again for each change."""
    for f in FINGERPRINTS:
        f.cache_clear()
    yield
    for f in FINGERPRINTS:
        f.cache_clear()


def cleaned(tmp_path: Path, opts: RunOptions) -> tuple[list[InputFile], Path]:
    """Every shard of the seeds cleaned into a dataset, as a run's tasks do it."""
    src, out = tmp_path / "in", tmp_path / "out"
    shutil.copytree(SEEDS, src)
    files = discover(str(src))
    plan = make_plan(files, out, opts)
    assert plan.todo
    for shard in plan.todo:
        process_shard(shard, out, opts.config, opts.read, datetime.now(UTC), recipe=Recipe.of(opts))
    return files, out


def test_a_dedup_run_resumes(tmp_path: Path) -> None:
    """A shard finished with --dedup exact is done for the same command."""
    opts = RunOptions(dedup="exact", shard_files=2)
    files, out = cleaned(tmp_path, opts)
    plan = make_plan(files, out, opts)
    assert plan.todo == () and len(plan.done) == len(plan.shards) == 3
    assert make_plan(files, out, opts.replace(dedup="near")).todo == plan.shards
    assert make_plan(files, out, opts.replace(force=True)).todo == plan.shards


def _rules_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    first, *rest = cleaners.boilerplate.rule_table()
    moved = dataclasses.replace(first, category="promo")
    monkeypatch.setattr(cleaners.boilerplate, "rule_table", lambda: (moved, *rest))


def _model_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    # Another file of the package in the model file's place: other bytes.
    monkeypatch.setattr(cleaners.models, "MODEL_FILE", "data/boundaries.json")


def _words_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    table = dict(cleaners.mojibake.words.WORD_LANGUAGES)
    table["LATIN"] = table["LATIN"][:-1]
    monkeypatch.setattr(cleaners.mojibake.words, "WORD_LANGUAGES", table)


def _version_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(markers, "__version__", "9.9.9")


CODE_CHANGES: dict[str, Callable[[pytest.MonkeyPatch], None]] = {
    "rule table": _rules_changed,
    "model file": _model_changed,
    "word data": _words_changed,
    "package version": _version_changed,
}


@pytest.mark.parametrize("change", CODE_CHANGES)
def test_a_change_of_code_redoes_the_shards(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    opts = RunOptions(shard_files=2)
    files, out = cleaned(tmp_path, opts)
    assert make_plan(files, out, opts).todo == ()
    CODE_CHANGES[change](monkeypatch)
    for f in FINGERPRINTS:
        f.cache_clear()
    plan = make_plan(files, out, opts)
    assert plan.todo == plan.shards and plan.done == ()


@pytest.mark.parametrize(
    "changed",
    [
        RunOptions(shard_files=2, read=ReadOptions(text_field="body")),
        RunOptions(shard_files=2, read=ReadOptions(keep_raw_bytes=10)),
        RunOptions.from_dict({"shard_files": 2, "config": {"normalize_quotes": "keep"}}),
        RunOptions(shard_files=2, dedup="exact"),
    ],
    ids=["text field", "raw bytes kept", "config", "dedup"],
)
def test_a_change_of_options_redoes_the_shards(tmp_path: Path, changed: RunOptions) -> None:
    files, out = cleaned(tmp_path, RunOptions(shard_files=2))
    plan = make_plan(files, out, changed)
    assert plan.todo == plan.shards and plan.done == ()


def test_a_marker_of_an_older_layout_is_not_done(tmp_path: Path) -> None:
    from flows.data.dataset import marker_path, read_marker, write_json_atomic

    opts = RunOptions()
    files, out = cleaned(tmp_path, opts)
    path = marker_path(out, 0, staged=True)
    old = {"index": 0, "key": "k", "config": opts.config.fingerprint(), "parts": []}
    write_json_atomic(old, path)
    assert read_marker(out, 0) is None
    assert make_plan(files, out, opts).todo
