"""The worker bridge delivers results, errors and progress on the UI thread."""

from __future__ import annotations

import threading

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QThread

from assistant.errors import Cancelled, InputError
from assistant.progress import CancelToken, Progress
from assistant.ui.worker import Worker


def _job(n: int, *, report, cancel) -> tuple[int, bool]:
    for i in range(n):
        cancel.raise_if_cancelled()
        report(Progress("count", i + 1, n))
    return n * 2, threading.current_thread() is threading.main_thread()


def test_result_and_progress_arrive_on_ui_thread(qtbot) -> None:
    worker = Worker()
    seen: list[tuple[int, bool]] = []
    events: list[Progress] = []
    threads: list[bool] = []

    def on_result(value):
        threads.append(QThread.currentThread() is worker.thread())
        seen.append(value)

    job = worker.submit(_job, 3, on_result=on_result, on_progress=events.append)
    with qtbot.waitSignal(job.finished, timeout=5000):
        pass
    assert seen == [(6, False)]  # computed off the main thread
    assert threads == [True]  # delivered on it
    assert [e.done for e in events] == [1, 2, 3]


def test_error_goes_to_the_one_handler(qtbot) -> None:
    shown: list[BaseException] = []
    worker = Worker(error_handler=shown.append)

    def boom() -> None:
        raise InputError("bad file", hint="fix it")

    job = worker.submit(boom)
    with qtbot.waitSignal(job.finished, timeout=5000):
        pass
    assert len(shown) == 1 and "bad file" in str(shown[0])


def test_cancel_is_not_an_error(qtbot) -> None:
    shown: list[BaseException] = []
    worker = Worker(error_handler=shown.append)
    token = CancelToken()
    token.cancel()
    job = worker.submit(_job, 5, cancel=token)
    with qtbot.waitSignal(job.failed, timeout=5000) as blocker:
        pass
    assert isinstance(blocker.args[0], Cancelled)
    assert shown == []


def test_nothing_runs_after_shutdown(qtbot) -> None:
    worker = Worker()
    worker.shutdown()
    ran: list[int] = []
    job = worker.submit(lambda: ran.append(1))
    qtbot.wait(50)
    assert worker.wait(1000) and ran == [] and job.cancelled
