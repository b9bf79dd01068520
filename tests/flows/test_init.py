"""flows/__init__: allocator settings made before Arrow and Polars load, a user's own
value kept."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration  # each case starts an interpreter

PROBE = (
    "import flows, os, pyarrow as pa; "
    "print(pa.default_memory_pool().backend_name, os.environ['_RJEM_MALLOC_CONF'])"
)


def _probe(**env: str) -> list[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("ARROW_DEFAULT_MEMORY_POOL", "_RJEM_MALLOC_CONF")
    }
    res = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return res.stdout.split()


def test_arrow_uses_the_system_pool_and_polars_one_arena() -> None:
    assert _probe() == ["system", "narenas:1"]


def test_a_users_own_allocator_settings_win() -> None:
    got = _probe(ARROW_DEFAULT_MEMORY_POOL="mimalloc", _RJEM_MALLOC_CONF="narenas:2")
    assert got == ["mimalloc", "narenas:2"]
