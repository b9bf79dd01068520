"""Start a run from Python: the plain run (pipeline.py, on a pool of this process) or,
with Prefect's API, the Prefect flow that wraps it.

Above both: the flows import the pipeline, and this module imports the flows (inside
functions, so a plain run never imports Prefect), so the pipeline imports no flow.
"""

from __future__ import annotations

from typing import Any

from . import runners
from .options import RunOptions
from .pipeline import clean_partitions, run_corpus

__all__ = ["run_backfill", "run_clean_corpus", "run_prefect_flow"]


def run_clean_corpus(
    input: str, output: str, options: RunOptions | None = None, *, plain: bool | None = None
) -> dict[str, Any]:
    """Clean ``input`` into ``output`` from Python, on the options' task runner: with
    Prefect's API, as the ``clean_corpus`` flow; without (``plain``; by default when no
    Prefect API is configured or running on this machine), the same body in this
    process, without importing Prefect."""
    options = options or RunOptions()
    params = {"input": str(input), "output": str(output)}
    if _plain(plain):
        with runners.plain(options):
            return run_corpus(options=options.to_dict(), **params)
    from .clean_corpus import clean_corpus

    return run_prefect_flow(clean_corpus, options, **params)


def run_backfill(
    partitions: list[str], output: str, options: RunOptions, *, plain: bool | None = None
) -> list[dict[str, Any]]:
    """``clean_partitions`` as ``run_clean_corpus`` runs one input."""
    params = {"partitions": partitions, "output": str(output)}
    if _plain(plain):
        with runners.plain(options):
            return clean_partitions(options=options.to_dict(), **params)
    from .backfill import backfill_partitions

    return run_prefect_flow(backfill_partitions, options, **params)


def _plain(plain: bool | None) -> bool:
    from .runtime import find_api_url

    return find_api_url() is None if plain is None else plain


def run_prefect_flow(flow_fn: Any, options: RunOptions, **params: Any) -> Any:
    """Run a Prefect flow on the task runner ``options`` asks for, without the per-flow
    heartbeat thread (runs are short-lived; it costs ~1 s at flow end)."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    configured = flow_fn.with_options(task_runner=runners.task_runner(options))
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        return configured(options=options.to_dict(), **params)
