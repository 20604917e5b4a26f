"""The house in layers: nothing imports upward, nothing imports in a circle, and project
modules are imported at the top of a module (never inside a function).

    kernel  <  retrieval  <  guardrails  <  assistant  <  ui
                                                       (eval sits above the product; the
                                                        product never imports it)

The graph is read from the source with ``ast`` (not by importing), so a violation anywhere,
in any branch, is found.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("kernel", "retrieval", "guardrails", "assistant", "ui", "eval")
PRODUCT = ("kernel", "retrieval", "guardrails", "assistant", "ui")


def _modules() -> dict[str, Path]:
    out = {}
    for pkg in LAYERS:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            rel = path.relative_to(ROOT).with_suffix("")
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The project module an import names (a package's submodule when it names one)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _imports(path: Path) -> list[tuple[str, int, bool]]:
    """(module imported, line, inside a function?) for every project import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: list[tuple[str, int, bool]] = []

    def visit(node, in_function: bool):
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                for a in child.names:
                    target = _resolve(a.name)
                    if target:
                        out.append((target, child.lineno, in_function))
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                for a in child.names:
                    target = _resolve(f"{child.module}.{a.name}") or _resolve(child.module)
                    if target:
                        out.append((target, child.lineno, in_function))
            visit(child, nested)

    visit(tree, False)
    return out


GRAPH = {m: _imports(p) for m, p in MODULES.items()}


def _layer(module: str) -> int:
    return LAYERS.index(module.split(".")[0])


def test_the_graph_was_read():
    assert len(MODULES) > 40
    assert any(t.startswith("kernel.") for edges in GRAPH.values() for t, _, _ in edges)


def test_nothing_imports_upward():
    upward = [f"{m} -> {t} (line {n})" for m, edges in GRAPH.items() for t, n, _ in edges
              if _layer(t) > _layer(m)]
    assert not upward, "imports from a higher layer:\n" + "\n".join(upward)


def test_the_product_never_imports_eval():
    bad = [f"{m} -> {t}" for m, edges in GRAPH.items() if m.split(".")[0] in PRODUCT
           for t, _, _ in edges if t.split(".")[0] == "eval"]
    assert not bad, bad


def test_no_project_module_is_imported_inside_a_function():
    inside = [f"{m} -> {t} (line {n})" for m, edges in GRAPH.items() for t, n, f in edges
              if f and m.split(".")[0] in PRODUCT]
    assert not inside, "function-level imports of project modules:\n" + "\n".join(inside)


def test_no_import_cycle():
    edges = {m: sorted({t for t, _, _ in e if t != m and not m.startswith(t + ".")}) for m, e in GRAPH.items()}
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def dfs(m: str):
        state[m] = 1
        stack.append(m)
        for t in edges.get(m, ()):
            if state.get(t) == 1:
                cycles.append(stack[stack.index(t):] + [t])
            elif t not in state:
                dfs(t)
        stack.pop()
        state[m] = 2

    for m in sorted(edges):
        if m not in state:
            dfs(m)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


@pytest.mark.parametrize("pkg", ["retrieval", "guardrails", "assistant", "kernel"])
def test_the_core_never_imports_streamlit(pkg):
    for path in (ROOT / pkg).rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not any(n.split(".")[0] == "streamlit" for n in names), path
