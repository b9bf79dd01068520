"""textwash flows: Prefect orchestration, readers, writers, the Parquet schema, the CLI."""

import ctypes
import os
import sys
from importlib.metadata import PackageNotFoundError, version

# Polars allocates through jemalloc, which by default keeps several arenas per CPU;
# the shard tasks' threads then each hold freed memory of their own. One arena holds
# less and is no slower here (a batch loop over the devset's noisy pages: peak
# 381 -> 350 MB, 3.7 -> 3.1 s). jemalloc reads this once, when Polars loads, so it is
# set before anything imports Polars; a value the user set wins.
os.environ.setdefault("_RJEM_MALLOC_CONF", "narenas:1")

# Arrow's default pool (mimalloc in the wheels) keeps the pages it freed for later
# allocations; the Parquet parts and prepared batches it builds then stay resident
# after each is written. Arrow's system pool is glibc's malloc, tuned below: a devset
# run's peak fell from 393-409 to 348-356 MB over three runs each, at the same speed.
# Arrow reads this when it first makes its default pool; a value the user set wins.
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")


def _tune_glibc_malloc() -> None:
    """Python's own objects go through glibc's malloc, which gives each thread that
    allocates an arena of its own and, once large blocks have been freed, serves large
    blocks from arenas that rarely shrink. One arena and a fixed mmap threshold (large
    blocks mapped, and unmapped when freed) lowered the median peak of a devset run
    from 407 to 394 MB over five runs each, at the same speed. Skipped where the user
    set these (MALLOC_ARENA_MAX, MALLOC_MMAP_THRESHOLD_) or the C library is not glibc."""
    if sys.platform != "linux" or "MALLOC_ARENA_MAX" in os.environ:
        return
    if "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return
    m_arena_max, m_mmap_threshold = -8, -3  # from glibc's malloc.h
    mallopt(m_arena_max, 1)
    mallopt(m_mmap_threshold, 128 * 1024)


_tune_glibc_malloc()

try:
    __version__ = version("textwash")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
