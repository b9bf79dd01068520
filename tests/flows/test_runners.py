"""Every runner and shard size gives the same dataset (a real Dask LocalCluster too)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.conftest import SEEDS

pytestmark = pytest.mark.usefixtures("prefect_server")


def dataset(out: Path) -> tuple[list, list]:
    con = duckdb.connect()
    docs = con.execute(
        "select * exclude (cleaned_at) from "
        f"read_parquet('{out}/documents/*.parquet') order by doc_id"
    ).fetchall()
    removals = con.execute(
        f"select * from read_parquet('{out}/removals/*.parquet') order by doc_id, line_no"
    ).fetchall()
    return docs, removals


def corpus(root: Path) -> Path:
    """The seeds, plus a JSONL and a Parquet file large enough to be split into
    pieces at small shard sizes (varied records, some with a site URL and its footer)."""
    src = root / "corpus"
    src.mkdir()
    seeds = sorted(SEEDS.glob("*.txt"))
    texts = [p.read_text(encoding="utf-8") for p in seeds]
    for p, text in zip(seeds, texts, strict=True):
        (src / p.name).write_text(text, encoding="utf-8")
    records = [
        {
            "id": i,
            # a site's footer, in every article of it: the run's line counts remove it
            "text": f"{texts[i % 5]}\nRecord {i}.\nEvery story by the s{i % 3} newsroom team.",
            "url": f"https://s{i % 3}.example/{i}",
        }
        for i in range(60)
    ]
    (src / "batch.jsonl").write_text(
        "\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8"
    )
    pq.write_table(
        pa.Table.from_pylist(records[:40]),
        src / "batch.parquet",
        row_group_size=8,
        use_dictionary=False,
    )
    return src


def test_same_output_on_every_runner_and_shard_size(tmp_path: Path) -> None:
    src = corpus(tmp_path)
    small = ["--shard-mb", "0.05"]  # splits the JSONL and the Parquet into pieces
    runs = {
        "thread-one-shard": ["--runner", "thread"],
        "thread-small-shards": ["--runner", "thread", "--workers", "2", "--shard-files", "1"],
        "thread-pieces": ["--runner", "thread", "--workers", "2", *small],
        "process": ["--runner", "process", "--workers", "2", "--shard-files", "2", *small],
        "dask": ["--runner", "dask", "--workers", "2", "--shard-files", "3", *small],
    }
    results = {}
    for name, flags in runs.items():
        out = tmp_path / name
        result = CliRunner().invoke(app, ["run", str(src), "-o", str(out), *flags])
        assert result.exit_code == 0, result.output + repr(result.exception)
        results[name] = dataset(out)
        if name == "thread-pieces":  # both record files were read in several pieces
            manifest = json.loads((out / "_manifest.json").read_text())
            inputs = [i["source"] for m in manifest["shards"] for i in m["inputs"]]
            assert inputs.count("batch.jsonl") > 2 and inputs.count("batch.parquet") > 2
    reference = results.pop("thread-one-shard")
    assert len(reference[0]) == 5 + 60 + 40
    # The run's line counts reach every task (handed over Whole, see clean()).
    assert any(row[3] == "repeated_across_documents" for row in reference[1])
    for name, data in results.items():
        assert data == reference, name


@pytest.mark.parametrize("runner", ["thread", "process"])
def test_tasks_are_submitted_in_plan_order_with_a_short_queue(runner: str) -> None:
    """The flow keeps at most one task per worker plus one in flight, in plan order,
    so a runner cannot start the small tail of a plan before its large shards."""
    from prefect import flow

    from flows.options import RunOptions
    from flows.runners import run_in_order, slots, task_runner
    from tests.flows._tasks import square

    options = RunOptions(runner=runner, workers=2)

    @flow(task_runner=task_runner(options))
    def windowed() -> tuple[int | None, int, list[int], list[int]]:
        in_flight = peak = 0
        order: list[int] = []

        def submit(x: int):  # type: ignore[no-untyped-def]
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            order.append(x)
            return square.submit(x)

        results = []
        for x, r in run_in_order(submit, list(range(9)), slots(options)):
            in_flight -= 1
            assert r == x * x
            results.append(r)
        return slots(options), peak, order, sorted(results)

    n_slots, peak, order, results = windowed()
    assert n_slots == 2
    assert peak == 3
    assert order == list(range(9))
    assert results == [x * x for x in range(9)]


def test_without_prefects_api_the_dataset_is_the_same(tmp_path: Path) -> None:
    """With no server, a run executes the flow bodies on a plain pool of the runner's
    kind: the dataset equals the Prefect run's, on every runner."""
    from flows.launch import run_clean_corpus
    from flows.options import RunOptions
    from flows.runners import is_plain

    src = corpus(tmp_path)
    flags = ["--shard-mb", "0.05", "--shard-files", "2"]
    prefect_out = tmp_path / "prefect"
    result = CliRunner().invoke(app, ["run", str(src), "-o", str(prefect_out), *flags])
    assert result.exit_code == 0, result.output + repr(result.exception)
    reference = dataset(prefect_out)
    for runner in ("thread", "process", "dask"):
        out = tmp_path / f"plain-{runner}"
        options = RunOptions(runner=runner, workers=2, shard_bytes=52428, shard_files=2)
        run_clean_corpus(str(src), str(out), options, plain=True)
        assert dataset(out) == reference, runner
        assert not is_plain()


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: the default is one thread")
def test_no_flags_uses_a_process_per_core_on_one_file(tmp_path: Path) -> None:
    """`textwash run INPUT -o OUT` with no flag, on a single JSONL file of a few MB:
    the plan splits it, and shards run in as many worker processes as there are cores
    (none of them the CLI's own), with the rows one thread writes. Which process took
    which shard is the pool's choice: a worker that starts first may take them all."""
    texts = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    src = tmp_path / "one.jsonl"
    with src.open("w", encoding="utf-8") as fh:
        for i in range(1200):  # about 3 MB
            text = f"{texts[i % 5]}\nRecord {i}."
            fh.write(json.dumps({"id": i, "text": text, "url": f"https://s{i % 7}.example/{i}"}))
            fh.write("\n")
    assert src.stat().st_size > 2 << 20
    runs = {"default": [], "thread": ["--runner", "thread"]}
    for name, flags in runs.items():
        result = CliRunner().invoke(app, ["run", str(src), "-o", str(tmp_path / name), *flags])
        assert result.exit_code == 0, result.output + repr(result.exception)
    manifest = json.loads((tmp_path / "default" / "_manifest.json").read_text())
    workers = {m["worker"].rsplit(":", 1)[1] for m in manifest["shards"]}
    assert len(manifest["shards"]) >= 2
    assert str(os.getpid()) not in workers  # worker processes (one per core: slots())
    assert dataset(tmp_path / "default") == dataset(tmp_path / "thread")
