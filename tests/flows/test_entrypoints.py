"""The deployed flows as a worker loads them: by file path, with the CLI's parameters."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import typing
from pathlib import Path

import pytest
import yaml
from prefect.flows import load_flow_from_entrypoint
from prefect.logging import disable_run_logger
from prefect.utilities.callables import parameter_schema

from flows import cli
from flows.backfill import backfill
from flows.scheduled_clean import scheduled_clean

from ..conftest import ROOT, SEEDS

# The CLI's options that are no flow parameter: the schedule and the deployment's name
# (prefect.yaml's), how the terminal shows the run.
# How the command runs, not what a run does (a deployment run has its server already).
NOT_PARAMETERS = {"cron", "name", "verbose", "strict", "prefect"}
JSON_TYPES = {str: "string", int: "integer", float: "number", bool: "boolean", Path: "string"}


def _entrypoints() -> list[str]:
    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    return [d["entrypoint"] for d in spec["deployments"]]


@pytest.mark.parametrize("entrypoint", _entrypoints())
def test_each_entrypoint_loads_by_its_path(entrypoint: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """As the worker loads it: the file by path, from the clone's folder."""
    monkeypatch.chdir(ROOT)
    flow = load_flow_from_entrypoint(entrypoint, use_placeholder_flow=False)
    assert flow.name == entrypoint.rsplit(":", 1)[1]


def _cli_types(command: typing.Callable) -> dict[str, str]:
    """The option types typer reads: the signature's."""
    types = {}
    for name, param in inspect.signature(command, eval_str=True).parameters.items():
        if name in NOT_PARAMETERS:
            continue
        hint = param.annotation
        if typing.get_origin(hint) is typing.Annotated:
            hint = typing.get_args(hint)[0]
        args = [a for a in typing.get_args(hint) if a is not type(None)] or [hint]
        types[name] = JSON_TYPES[args[0]]
    return types


def _flow_types(flow) -> dict[str, str]:  # type: ignore[no-untyped-def]
    types = {}
    for name, prop in parameter_schema(flow).properties.items():
        options = prop.get("anyOf", [prop])
        types[name] = next(o["type"] for o in options if o.get("type") != "null")
    return types


@pytest.mark.parametrize(
    ("flow", "command"), [(scheduled_clean, cli.serve), (backfill, cli.backfill)]
)
def test_parameters_are_the_cli_options(flow, command) -> None:  # type: ignore[no-untyped-def]
    """Same names, same types (the UI's form), same defaults."""
    assert _flow_types(flow) == _cli_types(command)
    cli_defaults = {
        n: p.default
        for n, p in inspect.signature(command).parameters.items()
        if n not in NOT_PARAMETERS and p.default is not inspect.Parameter.empty
    }
    flow_defaults = {
        n: p.default
        for n, p in inspect.signature(flow.fn).parameters.items()
        if p.default is not inspect.Parameter.empty
    }
    assert flow_defaults == cli_defaults


@pytest.mark.parametrize(
    "bad",
    [
        {"runner": "spark"},
        {"workers": 0},
        {"dedup": "maybe"},
        {"shard_mb": -1.0},
        {"config": "missing.toml"},
    ],
)
def test_a_bad_parameter_fails_with_the_cli_line(bad: dict) -> None:
    defaults = {n: p.default for n, p in inspect.signature(cli.serve).parameters.items()}
    with pytest.raises(cli.UsageError) as usage:
        cli.run_options(cli.serve, {**defaults, **bad})
    for flow, required in ((scheduled_clean, {"input": str(SEEDS)}), (backfill, {})):
        with disable_run_logger():
            state = flow.fn(**required, **bad)
        assert state.is_failed() and state.message == str(usage.value)


def test_a_missing_input_fails_the_scheduled_run_in_one_line(tmp_path: Path) -> None:
    with disable_run_logger():
        state = scheduled_clean.fn(input=str(tmp_path / "nope"))
    assert state.is_failed() and state.message == f"input not found: {tmp_path / 'nope'}"


def _as_a_worker_runs(api: str, parameters: dict) -> str:
    """A run of a scheduled_clean deployment, in the process a process worker starts
    for it (``python -m prefect.engine``, in the clone's folder): what it prints."""
    from prefect.deployments import run_deployment
    from prefect.deployments.runner import EntrypointType

    deployment = scheduled_clean.to_deployment(
        "worker-like", entrypoint_type=EntrypointType.MODULE_PATH
    )
    deployment.apply()
    run = run_deployment("scheduled_clean/worker-like", parameters=parameters, timeout=0)
    env = {**os.environ, "PREFECT_API_URL": api, "PREFECT__FLOW_RUN_ID": str(run.id)}
    engine = [sys.executable, "-m", "prefect.engine"]
    proc = subprocess.run(engine, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    return proc.stdout + proc.stderr


def test_a_bad_parameter_is_one_line_where_the_worker_runs(
    prefect_server: str, tmp_path: Path
) -> None:
    """No traceback of Prefect's for a run failed on its parameters; a run that crashes
    (its output is a file) keeps its traceback."""
    bad = _as_a_worker_runs(prefect_server, {"input": str(SEEDS), "runner": "spark"})
    assert "error: runner must be one of thread, process, dask, not 'spark'" in bad
    assert "Traceback" not in bad, bad
    taken = tmp_path / "a-file"
    taken.write_text("", encoding="utf-8")
    crashed = _as_a_worker_runs(prefect_server, {"input": str(SEEDS), "output": str(taken)})
    assert "Traceback" in crashed and "FileExistsError" in crashed
