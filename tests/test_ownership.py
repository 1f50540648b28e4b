"""Which playlists are the person's to edit: decided by ``domain.ownership`` only."""

from __future__ import annotations

import ast
from pathlib import Path

import assistant
from assistant.domain import SOURCES, Ownership, ownership

PACKAGE = Path(assistant.__file__).parent
# The front ends and the use cases ask ownership(); the store may name the local source
# (a playlist made here gets a fresh source_ref), which is identity, not a permission.
ASKERS = ("ui", "jobs", "cli")


def test_the_ownership_table_covers_every_source() -> None:
    table = {s: ownership(s) for s in SOURCES}
    assert table == {
        "local": Ownership(editable=True, personal=True),
        "spotify": Ownership(editable=False, personal=True),
        "file": Ownership(editable=False, personal=True),
        "mpd": Ownership(editable=False, personal=False),
        "demo": Ownership(editable=False, personal=False),
    }
    assert ownership("not-a-source") == Ownership(editable=False, personal=False)


def _source_literals(node: ast.AST) -> list[str]:
    """The source names a comparison or a loop over a literal tuple/list/set spells out."""
    if isinstance(node, ast.Constant) and node.value in SOURCES:
        return [node.value]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [v for e in node.elts for v in _source_literals(e)]
    return []


def _decisions(path: Path) -> list[str]:
    """Places that decide by the local source's name: ``x == "local"``, ``x in ("local",
    ...)`` or ``for s in ("local", "spotify", ...)``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        spelled: list[str] = []
        if isinstance(node, ast.Compare):
            for side in (node.left, *node.comparators):
                spelled += _source_literals(side)
                if isinstance(side, ast.Name) and side.id == "LOCAL_SOURCE":
                    spelled.append("local")
        elif isinstance(node, ast.For | ast.comprehension):
            spelled = _source_literals(node.iter)
        if "local" in spelled:
            line = getattr(node, "lineno", None) or getattr(node, "iter", node).lineno
            found.append(f"{path.relative_to(PACKAGE.parent)}:{line}")
    return found


def test_only_ownership_decides_which_playlists_are_the_persons() -> None:
    offenders = [
        where
        for layer in ASKERS
        for path in sorted((PACKAGE / layer).rglob("*.py"))
        for where in _decisions(path)
    ]
    assert offenders == [], "ask assistant.domain.ownership(source) instead: " + ", ".join(
        offenders
    )
