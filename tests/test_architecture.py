"""The core never imports Qt: the same code serves the CLI, the tests and the GUI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import assistant

PACKAGE = Path(assistant.__file__).parent


def core_modules() -> list[str]:
    names = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = rel.parts
        if "ui" in parts or parts[-1] in ("app", "__main__"):
            continue
        names.append(".".join(p for p in parts if p != "__init__"))
    return sorted(set(names))


def test_core_never_imports_qt() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {core_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'pyqtgraph'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"Qt imported by the core: {out.stdout}"
