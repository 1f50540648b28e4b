"""Who may import whom: one table of layers, every module of the package checked by AST.

The table below is the rule (README "Architecture" draws it). A module belongs to the
layer with the longest matching name; it may import its own layer and the layers listed
for it, nothing else of the package. Imports inside functions count too: a lazy import
is still a dependency. Only the window's layers may import Qt.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import assistant

PACKAGE = Path(assistant.__file__).parent

# layer: (the modules or packages it is made of, the layers it may import)
LAYERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "base": (
        ("assistant", "assistant.errors", "assistant.progress", "assistant.domain",
         "assistant.config"),
        (),
    ),
    "store": (("assistant.store",), ("base",)),
    "sources": (("assistant.sources",), ("base", "store")),
    "ml": (("assistant.ml",), ("base",)),
    "jobs": (("assistant.jobs",), ("base", "store", "sources", "ml")),
    "cli": (("assistant.cli",), ("base", "store", "jobs")),
    "ui": (("assistant.ui",), ("base", "store", "jobs")),
    "entry": (("assistant.app", "assistant.__main__"), ("base", "cli", "ui")),
    "release": (("assistant.build_demo_model",), ("base", "store", "sources", "ml", "jobs")),
}  # fmt: skip

QT = ("PySide6", "shiboken6", "pyqtgraph")
QT_LAYERS = ("ui", "entry")


@dataclass(frozen=True)
class Edge:
    importer: str
    imported: str
    line: int
    lazy: bool


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(p for p in parts if p != "__init__")


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer_of(module: str) -> str | None:
    """The layer whose member is the longest prefix of ``module`` (the base's members are
    whole modules: ``assistant`` itself is not a prefix of everything)."""
    best, best_len = None, -1
    for layer, (members, _) in LAYERS.items():
        for m in members:
            exact_only = layer == "base"
            hit = module == m or (not exact_only and module.startswith(m + "."))
            if hit and len(m) > best_len:
                best, best_len = layer, len(m)
    return best


def imports_of(module: str, path: Path, modules: dict[str, Path]) -> list[Edge]:
    """Every import statement of a module, anywhere in it, resolved to module names."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    lazy_lines = {
        n.lineno
        for f in ast.walk(tree)
        if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
        for n in ast.walk(f)
        if isinstance(n, ast.Import | ast.ImportFrom)
    }
    edges = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            # `from assistant import config` imports the module assistant.config.
            subs = [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in modules]
            names = subs or [target]
        for name in names:
            edges.append(Edge(module, name, node.lineno, node.lineno in lazy_lines))
    return edges


def violations() -> list[str]:
    modules = all_modules()
    found = []
    for module, path in modules.items():
        layer = layer_of(module)
        if layer is None:
            found.append(f"{module}: in no layer (add it to LAYERS)")
            continue
        allowed = {layer, *LAYERS[layer][1]}
        for edge in imports_of(module, path, modules):
            top = edge.imported.split(".")[0]
            where = f"{module}:{edge.line}{' (in a function)' if edge.lazy else ''}"
            if top in QT and layer not in QT_LAYERS:
                found.append(f"{where} imports {edge.imported}: only {QT_LAYERS} may use Qt")
            if top != "assistant":
                continue
            target = layer_of(edge.imported)
            if target not in allowed:
                found.append(
                    f"{where} imports {edge.imported} ({target}); {layer} may import "
                    f"{sorted(allowed)}"
                )
    return found


def test_every_import_follows_the_layer_table() -> None:
    bad = violations()
    assert not bad, "Imports across the layer table:\n" + "\n".join(bad)


def test_the_table_catches_a_forbidden_import(tmp_path: Path) -> None:
    """The checker itself: a lazy cli → ml import and an ml → Qt import are found."""
    source = "def f():\n    from assistant.ml import graph\n    import PySide6\n"
    path = tmp_path / "probe.py"
    path.write_text(source)
    edges = imports_of("assistant.cli.probe", path, all_modules())
    assert [(e.imported, e.lazy) for e in edges] == [
        ("assistant.ml.graph", True),
        ("PySide6", True),
    ]
    assert layer_of("assistant.ml.graph") == "ml"
    assert "ml" not in LAYERS["cli"][1]
    assert layer_of("assistant") == "base" and layer_of("assistant.cli") == "cli"


def core_modules() -> list[str]:
    return sorted(m for m in all_modules() if layer_of(m) not in QT_LAYERS)


def test_core_never_imports_qt() -> None:
    """At run time too: importing every core module loads no Qt (nothing pulls it in
    indirectly, e.g. through a third-party package)."""
    code = (
        "import importlib, sys\n"
        f"for name in {core_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'pyqtgraph'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"Qt imported by the core: {out.stdout}"
