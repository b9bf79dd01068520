"""The scheduled_clean flow and ``serve``: a deployment on a cron, each run incremental."""

from __future__ import annotations

import os
from typing import Any

from prefect import flow

from .clean_corpus import clean_corpus
from .options import RunOptions
from .runners import task_runner
from .storage import is_url


@flow(name="scheduled_clean", persist_result=False, validate_parameters=False)
def scheduled_clean(input: str, output: str, options: dict[str, Any] | None = None) -> dict:
    """One scheduled run: the inputs not seen yet, appended to the dataset (a
    clean_corpus subflow on the options' task runner). Finding nothing new is normal."""
    opts = RunOptions.from_dict(options or {}).replace(incremental=True, force=False)
    return clean_corpus.with_options(task_runner=task_runner(opts))(
        input=input, output=output, options=opts.to_dict()
    )


def serve(input: str, output: str, options: RunOptions, *, cron: str, name: str) -> None:
    """Serve scheduled_clean as a deployment on ``cron`` until interrupted.

    Needs a Prefect server (``PREFECT_API_URL``): its scheduler creates the runs, this
    process runs them (in subprocesses that import this module by name), one at a time.
    """
    from prefect.deployments.runner import EntrypointType

    scheduled_clean.serve(
        name=name,
        cron=cron,
        parameters={
            # The runs start in other processes: a folder by its absolute path.
            "input": input if is_url(input) else os.path.abspath(input),
            "output": output if is_url(output) else os.path.abspath(output),
            "options": options.replace(incremental=True, force=False).to_dict(),
        },
        description=f"textwash: clean new inputs of {input} into {output}",
        limit=1,
        enforce_parameter_schema=False,
        entrypoint_type=EntrypointType.MODULE_PATH,
    )
