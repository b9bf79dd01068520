"""textwash flows: Prefect orchestration, readers, writers, the Parquet schema, the CLI."""

import os
from importlib.metadata import PackageNotFoundError, version

# Polars allocates through jemalloc, which by default keeps several arenas per CPU;
# the shard tasks' threads then each hold freed memory of their own. One arena holds
# less and is no slower here (a batch loop over the devset's noisy pages: peak
# 381 -> 350 MB, 3.7 -> 3.1 s). jemalloc reads this once, when Polars loads, so it is
# set before anything imports Polars; a value the user set wins.
os.environ.setdefault("_RJEM_MALLOC_CONF", "narenas:1")

try:
    __version__ = version("textwash")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
