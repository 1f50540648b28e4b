"""Qt-free orchestration used by both the CLI and the GUI.

Each module wires the core for one kind of long job (``imports``, ``training``,
``recommending``): it takes a library path or object, a progress callback and a cancel
token, and returns plain data. The GUI runs these functions in its worker bridge.
"""
