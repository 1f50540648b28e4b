"""``python -m assistant`` opens the window; with a sub-command it is the CLI."""

from __future__ import annotations

import sys


def main() -> int:
    if len(sys.argv) > 1:
        from assistant.cli import main as cli_main

        return cli_main(sys.argv[1:])
    from assistant.app import main as gui_main

    return gui_main()


if __name__ == "__main__":
    sys.exit(main())
