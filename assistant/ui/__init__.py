"""The desktop window (PySide6). The only package, with ``assistant.app``, that imports Qt."""
