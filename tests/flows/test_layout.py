"""flows/ reads as the pipeline: small modules, short functions, no Prefect in the phases."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

FLOWS = Path(__file__).resolve().parents[2] / "flows"
MAX_LINES = 350
MAX_FUNCTION_LINES = 60
# Modules pending a split: listed so the rule holds everywhere else, and must be taken
# off once they fit.
PENDING: set[str] = set()
PHASES = ("plan.py", "count.py", "clean.py", "commit.py", "pipeline.py")
# What a run without Prefect's API imports: the phases and what starts them.
WITHOUT_PREFECT = (*PHASES, "launch.py")


def modules() -> list[Path]:
    return sorted(FLOWS.rglob("*.py"))


def too_long(path: Path) -> list[str]:
    """What breaks the size rules in ``path``: the module, or its functions."""
    text = path.read_text(encoding="utf-8")
    found = [f"{len(text.splitlines())} lines"] if len(text.splitlines()) > MAX_LINES else []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                found.append(f"{node.name}: {length} lines")
    return found


@pytest.mark.parametrize("path", modules(), ids=lambda p: p.relative_to(FLOWS).as_posix())
def test_modules_and_functions_are_short(path: Path) -> None:
    name = path.relative_to(FLOWS).as_posix()
    if name in PENDING:
        assert too_long(path), f"{name} fits now: take it off PENDING"
    else:
        assert not too_long(path), name


def test_too_long_finds_a_long_function(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    path = tmp_path / "m.py"
    path.write_text(f"def f():\n{body}\n", encoding="utf-8")
    assert too_long(path) == [f"f: {MAX_FUNCTION_LINES + 1} lines"]


@pytest.mark.parametrize("name", WITHOUT_PREFECT)
def test_the_phases_do_not_import_prefect(name: str) -> None:
    """At module level: a run without Prefect's API imports none (the artifact and the
    flows are imported inside functions, only on Prefect's side)."""
    tree = ast.parse((FLOWS / name).read_text(encoding="utf-8"))
    imported = [
        alias.name if isinstance(node, ast.Import) else node.module or ""
        for node in tree.body
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    ]
    assert not [m for m in imported if m.split(".")[0] == "prefect"], imported
