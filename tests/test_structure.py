"""How the modules depend on each other: no import cycles, no private name used
outside its module, nothing in the package that only tests use, benches that import
nothing from the tests. Read from the source (an AST walk), nothing imported."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("cleaners", "flows")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(*dirs: str) -> dict[str, Path]:
    return {module_name(p): p for d in dirs for p in sorted((ROOT / d).rglob("*.py"))}


def imported(name: str, path: Path, known: dict[str, Path]) -> list[tuple[str, str | None]]:
    """(module, name taken from it or None) for every import in the file, at any depth
    (a lazy import inside a function is still a dependency); relative ones resolved."""
    found: list[tuple[str, str | None]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(a.name, None) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            source = node.module or ""
            if node.level:
                base = name.split(".")
                if path.name != "__init__.py":
                    base = base[:-1]
                base = base[: len(base) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            for a in node.names:
                if f"{source}.{a.name}" in known:  # `from package import module`
                    found.append((f"{source}.{a.name}", None))
                else:
                    found.append((source, a.name))
    return found


def import_graph(known: dict[str, Path]) -> dict[str, set[str]]:
    return {
        name: {m for m, _ in imported(name, path, known) if m in known and m != name}
        for name, path in known.items()
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def test_no_import_cycles() -> None:
    """Each module sits above what it imports: a lazy import inside a function counts
    too, since it is the same dependency, only later."""
    assert cycles(import_graph(modules(*PACKAGES))) == []


def test_a_lazy_import_back_is_a_cycle(tmp_path: Path) -> None:
    """What test_no_import_cycles relies on: a module importing, inside a function, one
    that imports it is found."""
    (tmp_path / "a.py").write_text("def f():\n    from .b import g\n", encoding="utf-8")
    (tmp_path / "b.py").write_text("from pkg import a\n\ng = a\n", encoding="utf-8")
    (tmp_path / "c.py").write_text("from . import a\n", encoding="utf-8")
    known = {f"pkg.{n}": tmp_path / f"{n}.py" for n in "abc"}
    assert cycles(import_graph(known)) == [["pkg.a", "pkg.b"]]


def private_uses(known: dict[str, Path]) -> list[str]:
    """``from x import _name`` and ``x._name`` where x is another module of ours."""
    found = []
    for name, path in known.items():
        aliases: dict[str, str] = {}
        for source, taken in imported(name, path, known):
            private = taken and taken.startswith("_") and not taken.startswith("__")
            if source in known and source != name and private:
                found.append(f"{name}: from {source} import {taken}")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                aliases.update({a.asname or a.name: a.name for a in node.names})
            elif isinstance(node, ast.ImportFrom):
                for source, taken in imported(name, path, known):
                    if taken is None:
                        aliases[source.rsplit(".", 1)[-1]] = source
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and aliases.get(node.value.id, "") in known
                and aliases[node.value.id] != name
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                found.append(f"{name}: {aliases[node.value.id]}.{node.attr}")
    return sorted(set(found))


def test_no_private_name_is_used_outside_its_module() -> None:
    assert private_uses(modules(*PACKAGES)) == []


def test_benches_use_no_private_name() -> None:
    """A bench measures what the package offers: a helper it needs is public."""
    assert [u for u in private_uses(modules(*PACKAGES, "bench")) if u.startswith("bench")] == []


def entry_points() -> list[str]:
    """What starts the package from outside: its scripts, Prefect's deployments and
    ``python -m``."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    names = [v.split(":")[0] for v in project["project"]["scripts"].values()]
    deployments = (ROOT / "prefect.yaml").read_text(encoding="utf-8")
    for path in re.findall(r"entrypoint:\s*(\S+?\.py):", deployments):
        names.append(path.removesuffix(".py").replace("/", "."))
    # ``python -m package`` runs a package's __main__.
    names += [
        str(p.relative_to(ROOT).with_suffix("")).replace("/", ".")
        for p in sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("__main__.py"))
    ]
    return names


def test_every_module_of_the_package_is_used_by_the_package() -> None:
    """A module nothing in the package reaches (from the packages themselves, their
    scripts and deployments) serves only tests or benches: it belongs in
    bench/workloads, not in the wheel."""
    known = modules(*PACKAGES)
    graph = import_graph(known)
    reached: set[str] = set()
    todo = [*PACKAGES, *entry_points()]
    while todo:
        name = todo.pop()
        if name in reached:
            continue
        reached.add(name)
        todo += graph[name]
        todo += [".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)]
    assert sorted(set(known) - reached) == []


def test_benches_import_nothing_from_the_tests() -> None:
    known = modules("bench", "tests")
    found = [
        f"{name}: {source}"
        for name, path in modules("bench").items()
        for source, _ in imported(name, path, known)
        if source == "tests" or source.startswith("tests.")
    ]
    assert found == []
