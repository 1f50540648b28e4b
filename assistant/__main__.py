"""``python -m assistant`` opens the window; with a sub-command it is the CLI.

``python -m assistant --library PATH`` (options only, no sub-command) opens the window
on that library too, so the GUI's own flags work through the module entry point.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

#: Options the window understands; anything else that starts the arguments is the CLI's.
_GUI_OPTIONS = ("--library",)


def wants_gui(argv: Sequence[str]) -> bool:
    """True when ``argv`` names no sub-command, only the window's own options."""
    if not argv:
        return True
    first = argv[0]
    if first in ("-h", "--help", "--version"):
        return False
    if not any(first == opt or first.startswith(opt + "=") for opt in _GUI_OPTIONS):
        return False
    # `--library PATH` followed by a sub-command is the CLI (`--library X stats`).
    rest = list(argv[1:]) if "=" in first else list(argv[2:])
    return not rest or rest[0].startswith("-")


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if wants_gui(args):
            from assistant.app import main as gui_main

            return gui_main(args)
        from assistant.cli import main as cli_main
    except KeyboardInterrupt:  # Ctrl+C while the modules load: nothing was done yet
        print("Interrupted before anything was done.", file=sys.stderr)
        return 130
    return cli_main(args)


if __name__ == "__main__":
    sys.exit(main())
