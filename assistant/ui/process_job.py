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
import dataclasses
import importlib
import json
import multiprocessing
import os
import queue
import threading
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from assistant.errors import AssistantError
from assistant.progress import CancelToken, ProgressCallback

POLL_SECONDS = 0.05
NICENESS = 10


class BackgroundProcessError(AssistantError):
    """The child process ended without an answer (killed, out of memory, crashed)."""


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
        The child's exception, rebuilt (AssistantError subclasses keep class and text),
        or BackgroundProcessError when the child died without answering.
    """
    ctx = multiprocessing.get_context("spawn")
    events = ctx.Queue()
    stop = ctx.Event()
    proc = ctx.Process(target=_child, args=(fn, args, kwargs, events, stop), daemon=True)
    proc.start()
    try:
        while True:
            if cancel is not None and cancel.cancelled:
                stop.set()
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
                raise _rebuild(payload)
    finally:
        stop.set()
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
        stop.wait()
        token.cancel()

    threading.Thread(target=watch, daemon=True).start()
    try:
        if isinstance(fn, str):
            module, _, name = fn.partition(":")
            fn = getattr(importlib.import_module(module), name)
        result = fn(*args, report=lambda e: events.put(("progress", e)), cancel=token, **kwargs)
    except BaseException as exc:
        events.put(
            (
                "error",
                (
                    type(exc).__module__,
                    type(exc).__qualname__,
                    getattr(exc, "message", str(exc)),
                    getattr(exc, "hint", None),
                ),
            )
        )
    else:
        events.put(("result", result))
    events.close()
    events.join_thread()


def _rebuild(payload: tuple[str, str, str, str | None]) -> BaseException:
    module, qualname, message, hint = payload
    try:
        cls = importlib.import_module(module)
        for part in qualname.split("."):
            cls = getattr(cls, part)
    except (ImportError, AttributeError):
        cls = None
    if isinstance(cls, type) and issubclass(cls, AssistantError):
        exc = cls.__new__(cls)
        AssistantError.__init__(exc, message, hint=hint)
        return exc
    return BackgroundProcessError(
        f"The background job failed: {qualname}: {message}",
        hint="Nothing was changed. Please report this with the message above.",
    )


SOURCE_OPTIONS = ("include_spotify", "include_demo")


def train_in_child(
    library_path: Path,
    fields: dict[str, Any],
    out_path: Path | None,
    *,
    report: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> SimpleNamespace:
    """What the training child runs. The training code is imported here, in the child,
    and the outcome goes back as plain data (unpickling the core's own class would make
    the parent import the training modules)."""
    from assistant.jobs.training import train_on_library
    from assistant.ml.train import TrainConfig

    fields = dict(fields)
    # Which sources to train on travel with the form's fields (see TrainDialog.config).
    options: dict[str, Any] = {k: bool(fields.pop(k)) for k in SOURCE_OPTIONS if k in fields}
    if fields.get("compare_with"):
        options["compare_with"] = str(fields.pop("compare_with"))
    fields.pop("compare_with", None)
    if fields.get("sources") is not None:
        options["sources"] = tuple(fields.pop("sources"))
    fields.pop("sources", None)
    outcome = train_on_library(
        library_path,
        TrainConfig(**fields),
        out_path=out_path,
        report=report,
        cancel=cancel,
        **options,
    )
    plain = {f.name: getattr(outcome, f.name) for f in dataclasses.fields(outcome)}
    # JSON round trip: paths and numpy numbers become plain str/float.
    return SimpleNamespace(**json.loads(json.dumps(plain, default=_plain)))


def _plain(value: Any) -> Any:
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)
