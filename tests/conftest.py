"""Shared fixtures: the golden files, the seeds, and one real Prefect server per session."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings

# The suite runs 300 examples per property; bench/properties.py runs 10,000.
# 150 examples keep the fast loop under a minute; bench/properties.py runs 10,000.
settings.register_profile("default", max_examples=150)
settings.register_profile("bench", max_examples=10_000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"


def dated_partitions(raw: Path) -> list[Path]:
    """Two days of seeds as a backfill's partitions: ``raw/date=2025-01-01`` (two
    seeds) and ``raw/date=2025-01-02`` (one). Returns the seeds in order."""
    seeds = sorted(SEEDS.glob("*.txt"))
    for day, files in (("2025-01-01", seeds[:2]), ("2025-01-02", seeds[2:3])):
        (raw / f"date={day}").mkdir(parents=True)
        for f in files:
            shutil.copy(f, raw / f"date={day}" / f.name)
    return seeds


GOLDEN = ROOT / "tests" / "data" / "golden"


def load_golden() -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(GOLDEN.glob("*.json"))]


@pytest.fixture(scope="session")
def golden() -> list[dict]:
    return load_golden()


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory):
    """A real Prefect API server on loopback, with its own database, for the session."""
    from flows.runtime import configure_prefect, local_server

    configure_prefect()
    with local_server(tmp_path_factory.mktemp("prefect-home")) as api_url:
        # Before prefect is first imported: its settings, and the threads it starts
        # outside this context (a process pool's event forwarding), read the environment.
        os.environ["PREFECT_API_URL"] = api_url
        from prefect.settings import (
            PREFECT_API_URL,
            PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
            temporary_settings,
        )

        try:
            with temporary_settings(
                updates={PREFECT_API_URL: api_url, PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}
            ):
                yield api_url
        finally:
            os.environ.pop("PREFECT_API_URL", None)


# Tests that start a Prefect server, a Dask cluster or a subprocess (a fixture of
# theirs does, or they are marked): ``pytest -m "not integration"`` is the fast loop.
INTEGRATION_FIXTURES = frozenset({"prefect_server", "real_server"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if INTEGRATION_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Stop a temporary Prefect server that a test started in this process (the
    default ephemeral API) while pytest's output is still open: Prefect's own exit
    hook would log "Stopping temporary server" to a closed stream."""
    import sys

    server_module = sys.modules.get("prefect.server.api.server")
    if server_module is not None:
        for server in list(server_module.SubprocessASGIServer._instances.values()):
            if server.server_process is not None:
                server.stop()
