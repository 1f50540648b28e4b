"""Whether another process still runs: for work a killed process left behind.

A training run recorded as ``running`` and the temporary file of a checkpoint being
written both carry the pid of the process doing it; when that process is gone (kill -9,
a crash, a power loss) the next process cleans up after it.
"""

from __future__ import annotations

import os


def alive(pid: int) -> bool:
    """Whether a process with this pid runs on this machine (pid ≤ 0: unknown, so no)."""
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    if os.name == "nt":  # os.kill would terminate it there; ask for a handle instead
        import ctypes

        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        handle = kernel32.OpenProcess(0x1000, False, pid)  # QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        kernel32.CloseHandle(handle)
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. PermissionError: it exists, owned by someone else
        return True
    return True


def remove_stale_temp_files(folder: os.PathLike | str, name: str) -> int:
    """Deletes ``.NAME.PID.*tmp`` files in ``folder`` whose writer (PID) is gone.

    Atomic writers name their temporary file after the target and their pid; a kill
    between creating and renaming it leaves it behind, hidden. Returns how many went.
    """
    from pathlib import Path

    removed = 0
    prefix = f".{name}."
    for tmp in Path(folder).glob(f".{name}.*tmp"):
        pid_text = tmp.name[len(prefix) :].split(".", 1)[0]
        if pid_text.isdigit() and not alive(int(pid_text)):
            try:
                tmp.unlink()
                removed += 1
            except OSError:
                pass  # another process cleaned it, or we may not: harmless
    return removed
