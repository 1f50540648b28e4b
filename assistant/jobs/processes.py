"""Run a CPU-heavy core function in a child process, as one worker job.

Training holds Python's GIL for long stretches (graph building, sampling, validation in
numpy), and a training *thread* made the window stall for 100–300 ms at a time. The job
therefore still goes through the one worker bridge, but the pool thread only relays:
the function runs in a ``spawn``-ed child process, its progress events come back through
a queue and go to ``report``, a cancel is forwarded through an event, and its result or
error comes back as if it had run in the thread. Qt-free.
"""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing
import os
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from assistant.errors import BackgroundProcessError, pack_error, unpack_error
from assistant.progress import CancelToken, ProgressCallback

POLL_SECONDS = 0.05
NICENESS = 10


def run_in_process(
    fn: Callable[..., Any] | str,
    *args: Any,
    report: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    **kwargs: Any,
) -> Any:
    """Calls ``fn(*args, report=..., cancel=..., **kwargs)`` in a child process.

    ``fn`` is a module-level function, or its ``"module:function"`` name so that the
    parent never imports it (an import holds the GIL: the window would stall). Its
    arguments and result must be picklable.

    Raises:
        The child's exception, rebuilt (``assistant.errors.unpack_error``: our errors keep
        class and attributes), or BackgroundProcessError when the child died without
        answering.
    """
    ctx = multiprocessing.get_context("spawn")
    events = ctx.Queue()
    # A lock-free flag, not an Event: Event.set() waits for every waiter to wake, and a
    # child that already exited (its watcher thread killed mid-wait) never does, which
    # hung the parent whenever the job failed fast.
    stop = ctx.RawValue("b", 0)
    proc = ctx.Process(target=_child, args=(fn, args, kwargs, events, stop), daemon=True)
    proc.start()
    try:
        while True:
            if cancel is not None and cancel.cancelled:
                stop.value = 1
            try:
                kind, payload = events.get(timeout=POLL_SECONDS)
            except queue.Empty:
                if not proc.is_alive():
                    try:  # the last message may land just after the exit
                        kind, payload = events.get(timeout=1.0)
                    except queue.Empty:
                        raise BackgroundProcessError(
                            f"The background process stopped unexpectedly (exit code {proc.exitcode}).",
                            hint="Nothing was changed. Try again; if it happens again, "
                            "try fewer epochs or a smaller dimension (memory).",
                        ) from None
                else:
                    continue
            if kind == "progress":
                if report is not None:
                    report(payload)
            elif kind == "result":
                return payload
            else:
                raise unpack_error(payload)
    finally:
        stop.value = 1
        proc.join(timeout=30)
        if proc.is_alive():
            proc.kill()
            proc.join(timeout=5)
        events.close()


def _child(
    fn: Callable[..., Any] | str,
    args: tuple,
    kwargs: dict,
    events: Any,
    stop: Any,
) -> None:
    # Below the window's priority: on a machine with few cores the training threads must
    # not take the CPU the UI thread needs to paint (the heartbeat benchmark shows it).
    with contextlib.suppress(AttributeError, OSError):
        os.nice(NICENESS)
    token = CancelToken()

    def watch() -> None:
        while not stop.value:
            time.sleep(POLL_SECONDS)
        token.cancel()

    threading.Thread(target=watch, daemon=True).start()
    try:
        if isinstance(fn, str):
            module, _, name = fn.partition(":")
            fn = getattr(importlib.import_module(module), name)
        result = fn(*args, report=lambda e: events.put(("progress", e)), cancel=token, **kwargs)
    except BaseException as exc:
        events.put(("error", pack_error(exc)))
    else:
        events.put(("result", result))
    events.close()
    events.join_thread()
