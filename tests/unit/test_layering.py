"""The package's layering (DESIGN.md §3, §5) as a test: no module imports a higher layer, and no
two modules import each other in a loop. Type-only imports (under ``TYPE_CHECKING``) are not
counted: they create no dependency when the app runs.

Qt-only-in-ui and SQL-only-in-store are ruff rules (streampai_desktop/ruff.toml).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "streampai_desktop"

# Lowest first. A module may import its own layer or lower ones.
LAYERS: list[set[str]] = [
    {"core", "resources", "__init__"},
    {"store", "logging_setup", "secrets", "instance"},
    {"platforms"},
    {"settings", "widgets"},
    {"stream", "cloud", "preferences", "archive", "obs"},
    {"server"},
    {"app_options", "app", "diagnostics", "urls_command", "autostart", "terminal"},
    {"ui"},
    {"cli", "__main__"},
]
LAYER_OF = {unit: level for level, units in enumerate(LAYERS) for unit in units}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def unit_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def runtime_imports(path: Path, *, top_level_only: bool) -> set[str]:
    """The package's modules ``path`` imports when it runs (lazy ones too unless top-level)."""
    found: set[str] = set()

    def visit(nodes: list[ast.stmt], top: bool) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and _is_type_checking(node):
                visit(node.orelse, top)
                continue
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if node.module == "streampai_desktop":
                    found.update(f"streampai_desktop.{a.name}" for a in node.names)
                elif node.module.startswith("streampai_desktop."):
                    found.add(node.module)
                    # ``from package import submodule`` imports the submodule too.
                    found.update(f"{node.module}.{a.name}" for a in node.names)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name.startswith("streampai_desktop."))
            nested_top = top and not isinstance(
                node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
            )
            if top_level_only and not nested_top:
                continue
            for field in ("body", "orelse", "finalbody", "handlers"):
                children = getattr(node, field, None)
                if isinstance(children, list):
                    visit([c for c in children if isinstance(c, ast.stmt)], nested_top)

    visit(ast.parse(path.read_text()).body, True)
    return found


def sources() -> list[Path]:
    return [
        p
        for p in sorted(PACKAGE.rglob("*.py"))
        if "migrations" not in p.parts and "overlay_dist" not in p.parts
    ]


def test_no_module_imports_a_higher_layer() -> None:
    problems = []
    modules = {module_name(p) for p in sources()}
    for path in sources():
        module = module_name(path)
        own = LAYER_OF.get(unit_of(module))
        assert own is not None, f"{module}: put its package in a layer in {__file__}"
        for imported in runtime_imports(path, top_level_only=False):
            if imported not in modules:
                continue  # ``from module import name``: the module itself is in the set too
            other = LAYER_OF.get(unit_of(imported))
            if other is not None and other > own:
                problems.append(f"{module} imports {imported} (a higher layer)")
    assert not problems, "\n".join(problems)


def test_no_import_cycles() -> None:
    graph: dict[str, set[str]] = {}
    modules = {module_name(p): p for p in sources()}
    for module, path in modules.items():
        # A module imported at the top of another runs when that one is first imported; the
        # package __init__ of each parent runs first too.
        targets = set()
        for imported in runtime_imports(path, top_level_only=True):
            if imported not in modules:
                continue  # ``from module import name``: the module itself is in the set too
            if imported != module:
                targets.add(imported)
        graph[module] = targets

    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def walk(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                walk(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            walk(node)
    # A package importing its own submodules from __init__ is how packages re-export.
    real = [c for c in cycles if not all(m.startswith(c[0] + ".") or m == c[0] for m in c)]
    assert not real, "\n".join(" -> ".join(c) for c in real)
