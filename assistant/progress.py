"""Progress events and cancellation, free of Qt.

Long jobs take a ``report`` callback and a :class:`CancelToken`. The CLI prints the events
on stderr; the GUI's worker bridge forwards them to the UI thread as a signal.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from assistant.errors import Cancelled


@dataclass(frozen=True, slots=True)
class Progress:
    """One step of a long job.

    Attributes:
        stage: short name of what is happening ("import", "train", ...).
        done: units finished so far.
        total: units expected in all, or None when unknown.
        unit: what a unit is ("playlists", "entries", "epochs", "tracks").
        message: a line for people ("mpd.slice.0-999.json").
        elapsed: seconds since the job started.
        metrics: numbers a view may plot (loss, recall, ...).
    """

    stage: str
    done: int
    total: int | None = None
    unit: str = ""
    message: str = ""
    elapsed: float = 0.0
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def fraction(self) -> float | None:
        if not self.total:
            return None
        return min(1.0, self.done / self.total)

    @property
    def rate(self) -> float | None:
        return self.done / self.elapsed if self.elapsed > 0 and self.done else None

    @property
    def eta(self) -> float | None:
        """Seconds left at the current rate, or None when it cannot be told."""
        rate = self.rate
        if rate is None or not self.total:
            return None
        return max(0.0, (self.total - self.done) / rate)

    def describe(self) -> str:
        """One line for a status bar or stderr: counts, rate and time left."""
        parts = [self.stage]
        if self.total:
            parts.append(f"{self.done:,}/{self.total:,} {self.unit}".rstrip())
        else:
            parts.append(f"{self.done:,} {self.unit}".rstrip())
        if self.rate is not None:
            parts.append(f"{self.rate:,.0f} {self.unit or 'units'}/s")
        if self.eta is not None:
            parts.append(f"{format_seconds(self.eta)} left")
        if self.message:
            parts.append(self.message)
        return " · ".join(parts)


ProgressCallback = Callable[[Progress], Any]


def format_seconds(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, sec = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {sec:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def no_progress(_: Progress) -> None:
    """The default callback: ignore events."""


class CancelToken:
    """A thread-safe flag a job polls between units of work."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()


class Reporter:
    """Builds :class:`Progress` events with elapsed time, throttled for cheap callers.

    A job calls ``reporter.update(done)`` as often as it likes; the callback hears at most
    one event per ``interval`` seconds, plus the final one from ``finish``.
    """

    def __init__(
        self,
        callback: ProgressCallback | None,
        stage: str,
        *,
        total: int | None = None,
        unit: str = "",
        interval: float = 0.1,
    ) -> None:
        self.callback = callback or no_progress
        self.stage = stage
        self.total = total
        self.unit = unit
        self.interval = interval
        self.start = time.perf_counter()
        self._last = 0.0

    def update(
        self,
        done: int,
        *,
        message: str = "",
        metrics: dict[str, float] | None = None,
        force: bool = False,
    ) -> None:
        now = time.perf_counter()
        if not force and now - self._last < self.interval:
            return
        self._last = now
        self.callback(
            Progress(
                self.stage,
                done,
                self.total,
                self.unit,
                message,
                now - self.start,
                dict(metrics or {}),
            )
        )

    def finish(
        self, done: int, *, message: str = "", metrics: dict[str, float] | None = None
    ) -> None:
        self.update(done, message=message, metrics=metrics, force=True)
