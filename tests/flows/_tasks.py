"""Tasks for runner tests, importable by worker processes. Imported inside tests, after
the session's Prefect server is configured: importing prefect first would fix its
settings before textwash's defaults are in place."""

from __future__ import annotations

import time

from prefect import task
from prefect.cache_policies import NO_CACHE


@task(cache_policy=NO_CACHE)
def square(x: int) -> int:
    time.sleep(0.05)
    return x * x
