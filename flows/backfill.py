"""The backfill flow: many partitions (e.g. a date range), one clean_corpus subflow each."""

from __future__ import annotations

from typing import Any

from prefect import flow

from .clean_corpus import clean_corpus
from .partitions import partition_name, partition_output
from .runners import call_flow


@flow(name="backfill", persist_result=False, validate_parameters=False)
def backfill(
    partitions: list[str], output: str = "output", options: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Clean each partition into ``OUTPUT/<partition name>/``; every source starts with
    the partition's name, so sources and doc_ids are unique across partitions.

    Resumable like a run: a partition whose shards are done is skipped shard by shard.
    Subflows share the backfill's task runner.
    """
    summaries = []
    for partition in partitions:
        name = partition_name(partition)
        summaries.append(
            call_flow(
                clean_corpus,
                input=partition,
                output=partition_output(output, partition),
                options=options,
                prefix=name,
            )
        )
    return summaries
