"""The one thread bridge: every long job runs here, off the UI thread.

Picard's pattern: the core is Qt-free and takes ``report=``/``cancel=`` arguments; this
module runs such a function on a :class:`QThreadPool` thread and delivers its result *or*
its error, plus its progress events, back on the UI thread through queued signals. Nothing
else in the window starts threads.

A job must open its own :class:`~assistant.store.library.Library` (sqlite3 connections
belong to the thread that opened them): pass the library *path*, never the UI thread's
Library object.

Usage::

    job = window.worker.submit(
        train_on_library, library_path, config,
        on_result=done, on_error=failed, on_progress=progress, cancel=CancelToken(),
    )
    job.cancel()   # asks the job to stop at its next check

Errors without an ``on_error`` go to the worker's ``error_handler`` (the window's
``show_error``): one place shows every error, with the core's message.
"""

from __future__ import annotations

import inspect
import logging
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot

from assistant.errors import Cancelled
from assistant.progress import CancelToken, Progress

log = logging.getLogger(__name__)

ResultCallback = Callable[[Any], Any]
ErrorCallback = Callable[[BaseException], Any]
ProgressCallback = Callable[[Progress], Any]


def _accepts(fn: Callable[..., Any], name: str) -> bool:
    """Whether ``fn`` takes a keyword argument ``name`` (or ``**kwargs``)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return name in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


class Job(QObject):
    """One submitted job. Lives on the UI thread; its signals are emitted from the pool.

    Signals (all delivered on the UI thread):
        progress(Progress): a progress event from the job.
        succeeded(object): the function's return value.
        failed(object): the exception it raised (``Cancelled`` when it was cancelled).
        finished(): after ``succeeded`` or ``failed``, always.
    """

    progress = Signal(object)
    succeeded = Signal(object)
    failed = Signal(object)
    finished = Signal()

    # Emitted from the pool thread; connected (queued) to the slots below.
    _progress_from_thread = Signal(object)
    _done_from_thread = Signal(bool, object)

    def __init__(self, name: str, cancel: CancelToken, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.cancel_token = cancel
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None
        # Queued: whatever thread emits, the slots run on the thread this object lives on.
        self._progress_from_thread.connect(self._on_progress, Qt.ConnectionType.QueuedConnection)
        self._done_from_thread.connect(self._on_done, Qt.ConnectionType.QueuedConnection)

    def cancel(self) -> None:
        """Asks the job to stop; it answers with ``failed(Cancelled)`` when it notices."""
        self.cancel_token.cancel()

    @property
    def cancelled(self) -> bool:
        return self.cancel_token.cancelled

    @Slot(object)
    def _on_progress(self, event: Progress) -> None:
        if not self.done:
            self.progress.emit(event)

    @Slot(bool, object)
    def _on_done(self, ok: bool, value: object) -> None:
        self.done = True
        if ok:
            self.result = value
            self.succeeded.emit(value)
        else:
            assert isinstance(value, BaseException)
            self.error = value
            self.failed.emit(value)
        self.finished.emit()


class _Runnable(QRunnable):
    """Runs the function on a pool thread and hands everything back through the job."""

    def __init__(self, job: Job, fn: Callable[..., Any], args: tuple, kwargs: dict) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self.job, self.fn, self.args, self.kwargs = job, fn, args, kwargs

    def run(self) -> None:
        job = self.job
        try:
            if job.cancel_token.cancelled:
                raise Cancelled()
            value = self.fn(*self.args, **self.kwargs)
        except BaseException as exc:  # delivered to the UI thread, never swallowed
            if not isinstance(exc, Cancelled):
                log.debug("job %s failed:\n%s", job.name, traceback.format_exc())
            _deliver(job, False, exc)
        else:
            _deliver(job, True, value)


def _deliver(job: Job, ok: bool, value: object) -> None:
    try:
        job._done_from_thread.emit(ok, value)
    except RuntimeError:  # the window, and the job with it, closed while this one ran
        log.debug("job %s finished after its window closed", job.name)


class Worker(QObject):
    """Runs jobs on a thread pool and routes their outcome to UI-thread callbacks.

    Args:
        error_handler: called with an exception no ``on_error`` took (the window's
            ``show_error``). ``Cancelled`` never reaches it: a cancel is not an error.
        max_threads: pool size; 2 keeps one thread free for quick jobs while one trains.
    """

    job_started = Signal(object)
    job_finished = Signal(object)

    def __init__(
        self,
        error_handler: ErrorCallback | None = None,
        *,
        max_threads: int = 2,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.error_handler = error_handler
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        # Python owns the Job objects: keep them alive until they finish.
        self._active: set[Job] = set()
        self._shut = False

    def submit(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_result: ResultCallback | None = None,
        on_error: ErrorCallback | None = None,
        on_progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
        name: str = "",
        **kwargs: Any,
    ) -> Job:
        """Runs ``fn(*args, **kwargs)`` off the UI thread.

        ``fn`` also gets ``report=`` (a progress callback that is safe to call from the
        worker thread) and ``cancel=`` (the token) when its signature accepts them.

        Returns:
            The :class:`Job`, whose signals can be waited on (tests) or connected to.
        """
        token = cancel or CancelToken()
        job = Job(name or getattr(fn, "__name__", "job"), token, parent=self)
        if _accepts(fn, "report"):
            kwargs["report"] = job._progress_from_thread.emit
        if _accepts(fn, "cancel"):
            kwargs["cancel"] = token
        if on_progress is not None:
            job.progress.connect(on_progress)
        if on_result is not None:
            job.succeeded.connect(on_result)
        job.failed.connect(lambda exc: self._route_error(exc, on_error))
        job.finished.connect(lambda: self._forget(job))
        if self._shut:
            # A timer that fired after the window closed: nothing runs any more (a job
            # started now could still be running when the process exits).
            token.cancel()
            return job
        self._active.add(job)
        self.job_started.emit(job)
        self.pool.start(_Runnable(job, fn, args, kwargs))
        return job

    def _route_error(self, exc: BaseException, on_error: ErrorCallback | None) -> None:
        if on_error is not None:
            on_error(exc)
        elif not isinstance(exc, Cancelled) and self.error_handler is not None:
            self.error_handler(exc)

    def _forget(self, job: Job) -> None:
        self._active.discard(job)
        self.job_finished.emit(job)

    @property
    def active_jobs(self) -> list[Job]:
        return list(self._active)

    def cancel_all(self) -> None:
        for job in list(self._active):
            job.cancel()

    def wait(self, msecs: int = -1) -> bool:
        """Blocks until every job is done (shutdown and tests only)."""
        return self.pool.waitForDone(msecs)

    def shutdown(self, msecs: int = 10_000) -> None:
        """Cancels running jobs and waits for them (called when the window closes); later
        submissions do not run."""
        self._shut = True
        self.cancel_all()
        self.pool.clear()
        self.pool.waitForDone(msecs)
