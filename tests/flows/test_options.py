"""RunOptions: validated once, and the same after crossing a process as a dict."""

from __future__ import annotations

import json

import pytest

from cleaners import CleanConfig
from cleaners.config import ConfigError
from flows.data.documents import ReadOptions
from flows.options import RunOptions, read_options


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"runner": "spark"}, "runner must be one of thread, process, dask"),
        ({"workers": 0}, "workers must be at least 1"),
        ({"shard_bytes": -1}, "shard size must be positive"),
        ({"shard_files": 0}, "shard_files must be at least 1"),
        ({"dedup": "fuzzy"}, "dedup must be one of off, exact, near"),
        ({"address": "tcp://x:8786"}, "use it with --runner dask"),
        ({"workers": "2"}, "workers must be an integer"),
    ],
)
def test_bad_options_are_refused(changes: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        RunOptions(**changes)


def test_read_options_are_typed() -> None:
    with pytest.raises(ConfigError, match="text_field must be a string, not int"):
        read_options({"text_field": 5})
    with pytest.raises(ConfigError, match="unknown \\[read\\] keys: txt_field"):
        read_options({"txt_field": "body"})
    with pytest.raises(ConfigError, match="max_document_bytes must be positive"):
        ReadOptions(max_document_bytes=0)


def test_options_survive_json_and_back() -> None:
    opts = RunOptions(
        config=CleanConfig(normalize_quotes="keep", source_rules=(("a.example", ("Footer",)),)),
        read=ReadOptions(text_field="body"),
        runner="process",
        workers=2,
        dedup="near",
    )
    assert RunOptions.from_dict(json.loads(json.dumps(opts.to_dict()))) == opts


def test_a_flow_run_from_a_copy_of_the_flow_reads_its_options() -> None:
    # serve's runs reach the flow as a copy (pickled by value): its annotations' run
    # option markers are equal to this module's, not the same objects.
    import cloudpickle

    from flows.options import options_from
    from flows.scheduled_clean import scheduled_clean

    copy = cloudpickle.loads(cloudpickle.dumps(scheduled_clean.fn))
    opts = options_from(copy, {"config": None, "dedup": "near"}, incremental=True)
    assert (opts.dedup, opts.incremental) == ("near", True)
