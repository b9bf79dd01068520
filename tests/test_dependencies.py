"""Every third-party package the code imports is declared in pyproject.toml: the
package's in its dependencies, the tests' and benches' there or in the dev group."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
# Benches run as scripts import their siblings by file name ("from boilerplate import").
FIRST_PARTY = {"bench", "cleaners", "flows", "tests"} | {p.stem for p in ROOT.glob("bench/*.py")}


def requirement_names(requirements: list[str]) -> set[str]:
    return {
        re.split(r"[\s<>=!~\[;]", r, maxsplit=1)[0].lower().replace("_", "-") for r in requirements
    }


def imported_top_names(*dirs: str) -> dict[str, str]:
    """Top-level name of every absolute import outside the standard library and this
    project, at any depth (lazy imports too) -> the first file importing it."""
    found: dict[str, str] = {}
    for d in dirs:
        for path in sorted((ROOT / d).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top in sys.stdlib_module_names or top in FIRST_PARTY | {"__future__"}:
                        continue
                    found.setdefault(top, str(path.relative_to(ROOT)))
    return found


def undeclared(dirs: tuple[str, ...], declared: set[str]) -> list[str]:
    distributions = packages_distributions()
    missing = []
    for top, where in sorted(imported_top_names(*dirs).items()):
        dists = {d.lower().replace("_", "-") for d in distributions.get(top, [top])}
        if not dists & declared:
            missing.append(f"{top} ({where}): {sorted(dists)}")
    return missing


RUNTIME = requirement_names(PROJECT["project"]["dependencies"])
DEV = requirement_names(PROJECT["dependency-groups"]["dev"])


@pytest.mark.parametrize(
    ("dirs", "declared"),
    [(("cleaners", "flows"), RUNTIME), (("tests", "bench"), RUNTIME | DEV)],
    ids=["package", "tests-and-benches"],
)
def test_every_imported_package_is_declared(dirs: tuple[str, ...], declared: set[str]) -> None:
    assert undeclared(dirs, declared) == []
