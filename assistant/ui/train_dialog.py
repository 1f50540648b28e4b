"""Train a model on the library with a live plot of loss and validation metric.

The run itself is ``assistant.jobs.training.train_on_library`` in the worker; its
per-epoch progress events (``metrics={"loss": …, "ndcg": …}``) feed the plots here. A
cancel or a failure leaves the active model as it was (the job writes its checkpoint
atomically and only a success switches the window to it). The person chooses the
sources to learn from (Spotify playlists only after the one-time question), sees a
time estimate before starting, and a new model that scores below the active one on
this library's held-out playlists is activated only if the person says so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from assistant.config import save_settings
from assistant.errors import AssistantError, Cancelled
from assistant.jobs.checkpoints import active_checkpoint_path, device_choices
from assistant.jobs.training import default_checkpoint_path
from assistant.jobs.training_sources import (
    RATE_META_KEY,
    SPOTIFY_SOURCE,
    SPOTIFY_TRAINING_NOTICE,
    choose_sources,
    estimate_seconds,
)
from assistant.progress import Progress, format_seconds
from assistant.ui.table_models import SOURCE_LABELS

MODELS = (
    ("Content-aware GNN: artists, albums, names (recommended)", "hgat"),
    ("GAT with MLP", "gat-mlp"),
    ("GAT", "gat"),
    ("LightGCN (fastest)", "lightgcn"),
)
# (label, loss, negatives): the default first; BPR with hard negatives is the study's.
LOSSES = (
    ("Sampled tracks (recommended)", "sampled", "hard"),
    ("All tracks", "softmax", "hard"),
    ("Pairs (BPR, as in the study)", "bpr", "hard"),
    ("Pairs, random negatives (BPR)", "bpr", "random"),
)
# The one metric of the live plot, the done line and the model comparison (NDCG, as the
# RecSys Challenge 2018 ranked by it); the others only when a run reports no NDCG.
METRIC_KEYS = ("ndcg", "recall@50", "recall@20", "r_precision", "val_ndcg")
METRIC_NAMES = {"ndcg": "NDCG", "recall@50": "recall@50", "r_precision": "R-precision"}


class TrainDialog(QDialog):
    """Model, epochs, dimension and device; progress, live plots, Cancel.

    Args:
        window: the main window (its ``worker``, ``library_path``, ``settings``).
        out_dir: where the new checkpoint is written.

    Signals:
        trained(object): the TrainOutcome of a finished run.
        epoch_plotted(int): an epoch's point reached the plot (tests wait on it).
    """

    trained = Signal(object)
    epoch_plotted = Signal(int)

    def __init__(self, window: Any, out_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent or window)
        self.setWindowTitle("Train a model")
        self.window_ = window
        self.out_dir = out_dir
        self.job: Any = None
        self.history: list[dict[str, float]] = []
        self.outcome: Any = None
        self.cancelled = False
        self._metric_title = ""

        self.model = QComboBox()
        self.model.setAccessibleName("Model")
        for label, key in MODELS:
            self.model.addItem(label, key)
        self.epochs = QSpinBox()
        self.epochs.setAccessibleName("Epochs")
        self.epochs.setRange(1, 500)
        self.epochs.setValue(20)
        self.dim = QSpinBox()
        self.dim.setAccessibleName("Model size")
        self.dim.setRange(8, 512)
        self.dim.setSingleStep(8)
        self.dim.setValue(64)
        self.dim.setSuffix(" numbers per track")
        self.dim.setToolTip(
            "How many numbers describe each track (the embedding dimension): larger can "
            "learn more from a big library, but trains more slowly. 64 is recommended."
        )
        self.loss = QComboBox()
        self.loss.setAccessibleName("Training loss")
        for label, loss, negatives in LOSSES:
            self.loss.addItem(label, f"{loss}:{negatives}")
        self.device = QComboBox()
        self.device.setAccessibleName("Device")
        for key in ("auto", "cpu", "cuda"):
            self.device.addItem(key, key)
        pref = getattr(window.settings, "device", "auto")
        self.device.setCurrentIndex(max(0, self.device.findData(pref)))
        self.epochs.setToolTip(
            "Passes over all training playlists; training stops early "
            "once the held-out score stops improving."
        )
        self.loss.setToolTip(
            "Sampled tracks: each step compares the right tracks with a sample of others "
            "(memory stays flat however big the library). All tracks: with every other one. "
            "Pairs: with a few sampled wrong ones (BPR), as the reference study."
        )
        # The content-aware model learns with sampled tracks only (its attention is per
        # candidate, so scoring every track per step is out of reach): no other choice.
        self.model.currentIndexChanged.connect(self._model_changed)
        self._model_changed()
        form = QFormLayout()
        form.addRow("Model:", self.model)
        form.addRow("Epochs:", self.epochs)
        form.addRow("Size:", self.dim)
        form.addRow("Loss:", self.loss)
        form.addRow("Device:", self.device)

        # The library's sources, with their default choice (see choose_sources).
        self.sizes: dict[str, tuple[int, int]] = window.library.source_sizes()
        defaults = self._default_sources()
        self.source_boxes: dict[str, QCheckBox] = {}
        sources_row = QHBoxLayout()
        for source, (n_playlists, _entries) in self.sizes.items():
            box = QCheckBox(f"{SOURCE_LABELS.get(source, source)} ({n_playlists:,})")
            box.setAccessibleName(f"Train on {SOURCE_LABELS.get(source, source)}")
            box.setChecked(source in defaults)
            box.toggled.connect(lambda _on: self.update_estimate())
            self.source_boxes[source] = box
            sources_row.addWidget(box)
        sources_row.addStretch(1)
        form.addRow("Learn from:", sources_row)
        self.estimate = QLabel("")
        self.estimate.setAccessibleName("Time estimate")
        self.estimate.setWordWrap(True)
        form.addRow("Time:", self.estimate)
        for w in (self.epochs, self.dim):
            w.valueChanged.connect(lambda _v: self.update_estimate())

        self.progress = QProgressBar()
        self.progress.setAccessibleName("Training progress")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.status = QLabel("The new model replaces the active one unless it scores lower here.")
        self.status.setWordWrap(False)
        self.status.setAccessibleName("Training status")
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("How the new model scores on your library")
        self.kept_active = False  # the person kept the active model over a worse new one

        pg.setConfigOptions(antialias=False)
        palette = self.palette()
        background = palette.color(QPalette.ColorRole.Base)
        foreground = palette.color(QPalette.ColorRole.Text)
        accent = palette.color(QPalette.ColorRole.Highlight)
        self.loss_plot = pg.PlotWidget(background=background, title="Training loss")
        self.metric_plot = pg.PlotWidget(
            background=background, title="Held-out NDCG (your library)"
        )
        for plot in (self.loss_plot, self.metric_plot):
            plot.setAccessibleName(plot.getPlotItem().titleLabel.text)
            plot.showGrid(x=True, y=True, alpha=0.2)
            plot.setLabel("bottom", "epoch (whole passes over the playlists)")
            plot.setMinimumHeight(180)
            for axis in ("left", "bottom"):
                plot.getAxis(axis).setPen(foreground)
                plot.getAxis(axis).setTextPen(foreground)
            # Ranges are set by _fit_view once per epoch: pyqtgraph's auto-range would
            # paint each plot twice per point (once before, once after re-ranging), and a
            # fixed axis width keeps new tick labels from re-laying the dialog out.
            plot.disableAutoRange()
            plot.getAxis("left").setWidth(56)
            # Whole epochs on the axis from the start (before any point: 1 to 5).
            plot.getAxis("bottom").setTickSpacing(major=1, minor=1)
            plot.getViewBox().setRange(xRange=(0.7, 5.3), padding=0)
        self.loss_curve = self.loss_plot.plot(
            [], [], pen=pg.mkPen(accent, width=2), symbol="o", symbolSize=5
        )
        self.metric_curve = self.metric_plot.plot(
            [], [], pen=pg.mkPen(foreground, width=2), symbol="o", symbolSize=5
        )
        plots = QHBoxLayout()
        plots.addWidget(self.loss_plot)
        plots.addWidget(self.metric_plot)

        self.start_button = QPushButton("Train")
        self.start_button.setAccessibleName("Start training")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAccessibleName("Cancel training")
        self.cancel_button.clicked.connect(self.cancel_or_close)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.cancel_button)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.summary)
        layout.addLayout(plots, 1)
        layout.addLayout(buttons)
        self.resize(760, 600)
        self.update_estimate()
        window.worker.submit(
            device_choices, on_result=self._set_device_labels, on_error=lambda _e: None
        )

    def _model_changed(self) -> None:
        content = self.model.currentData() == "hgat"
        if content:
            self.loss.setCurrentIndex(max(0, self.loss.findData("sampled:hard")))
        self.loss.setEnabled(not content)

    def _set_device_labels(self, labels: dict[str, str]) -> None:
        for i in range(self.device.count()):
            key = self.device.itemData(i)
            self.device.setItemText(i, labels.get(key, key))

    def _default_sources(self) -> tuple[str, ...]:
        counts = {s: n for s, (n, _) in self.sizes.items()}
        allowed = getattr(self.window_.settings, "train_on_spotify", "") != "no"
        try:
            return choose_sources(counts, include_spotify=allowed)
        except AssistantError:  # nothing to learn from: every box stays unticked
            return ()

    def chosen_sources(self) -> list[str]:
        return [s for s, box in self.source_boxes.items() if box.isChecked()]

    def update_estimate(self) -> None:
        """The time estimate before starting: entries × epochs × this computer's rate."""
        entries = sum(self.sizes.get(s, (0, 0))[1] for s in self.chosen_sources())
        raw = self.window_.library.get_meta(RATE_META_KEY)
        try:
            rate = float(raw) if raw else None
        except ValueError:
            rate = None
        seconds = estimate_seconds(
            entries, self.epochs.value(), self.dim.value(), seconds_per_entry=rate
        )
        basis = "measured on your last training" if rate else "a rough guess on the CPU"
        length = "under a minute" if seconds < 60 else f"about {format_seconds(seconds)} at most"
        self.estimate.setText(
            f"{length} for {entries:,} playlist entries "
            f"({basis}; stops earlier when the score stops improving)"
        )

    def source_options(self) -> dict[str, Any]:
        """Which sources to train on, and the model to compare the new one with."""
        chosen = self.chosen_sources()
        return {
            "sources": chosen,
            "include_spotify": SPOTIFY_SOURCE in chosen,
            "include_demo": "demo" in chosen,
            "compare_with": str(active_checkpoint_path(self.window_.settings)),
        }

    def ask_spotify_once(self) -> bool:
        """The one-time question before a training first includes Spotify playlists.

        Returns False when the run should not start (the person declined and nothing
        else is ticked).
        """
        box = self.source_boxes.get(SPOTIFY_SOURCE)
        settings = self.window_.settings
        if box is None or not box.isChecked() or settings.train_on_spotify == "yes":
            return True
        if settings.train_on_spotify == "no":
            settings.train_on_spotify = "yes"  # ticked by hand after a "no": their choice
        else:
            allowed = self.window_.ask("Train on your Spotify playlists?", SPOTIFY_TRAINING_NOTICE)
            settings.train_on_spotify = "yes" if allowed else "no"
            box.setChecked(allowed)
        save_settings(settings)
        return bool(self.chosen_sources())

    def config(self) -> dict[str, Any]:
        """The form as TrainConfig fields (built into a TrainConfig in the worker, since
        importing the training code loads torch)."""
        loss, negatives = self.loss.currentData().split(":")
        return {
            "model": self.model.currentData(),
            "epochs": self.epochs.value(),
            "dim": self.dim.value(),
            "loss": loss,
            "negatives": negatives,
            "device": self.device.currentData(),
        }

    def start(self, config: Any = None) -> None:
        """Submits the training job (``config`` overrides the form: tests use tiny ones)."""
        from assistant.ui.tasks import train_task

        if self.job is not None and not self.job.done:
            return
        config = config if config is not None and not isinstance(config, bool) else self.config()
        if not self.ask_spotify_once():
            return
        fields = dict(config if isinstance(config, dict) else vars(config))
        fields.update(self.source_options())
        config = fields
        self.history.clear()
        self.summary.setText("")
        self.kept_active = False
        self.cancelled = False
        self.loss_curve.setData([], [])
        self.metric_curve.setData([], [])
        fields = config if isinstance(config, dict) else vars(config)
        model, epochs = fields["model"], int(fields["epochs"])
        self.progress.setRange(0, max(1, epochs))
        self.progress.setValue(0)
        self.status.setText(f"Preparing the graph for {model}…")
        self.start_button.setEnabled(False)
        for w in (self.model, self.epochs, self.dim, self.loss, self.device):
            w.setEnabled(False)
        for box in self.source_boxes.values():
            box.setEnabled(False)
        self.cancel_button.setText("Cancel")
        out = default_checkpoint_path(model, self.out_dir)
        self.job = self.window_.worker.submit(
            train_task,
            self.window_.library_path,
            config,
            out,
            on_progress=self.on_progress,
            on_result=self._finished,
            on_error=self._failed,
            name="train",
        )

    def on_progress(self, event: Progress) -> None:
        if event.total:
            self.progress.setRange(0, event.total)
            self.progress.setValue(min(event.done, event.total))
        left = f" · {format_seconds(event.eta)} left" if event.eta is not None else ""
        # Step events ("epoch 3 step 5/12", done = finished epochs) carry a running loss;
        # the end-of-epoch event carries the epoch's loss, seconds and validation metrics.
        epoch_event = (
            event.unit in ("epochs", "epoch")
            and event.done >= 1
            and "loss" in event.metrics
            and "step" not in event.message
        )
        if epoch_event and (not self.history or self.history[-1]["epoch"] < event.done):
            point = {"epoch": float(event.done), **{k: float(v) for k, v in event.metrics.items()}}
            self.history.append(point)
            self._replot()  # emits epoch_plotted once both plots have the point
        text = (
            event.message.capitalize()
            if "step" in event.message
            else f"Epoch {event.done}/{event.total or '?'}"
        )
        text += left
        if self.history:
            last = self.history[-1]
            text += f" · loss {last['loss']:.4f}"
            key = self.metric_key()
            if key:
                text += f" · {METRIC_NAMES.get(key, key)} {last[key]:.4f}"
        self.status.setText(text if event.unit in ("epochs", "epoch") else event.describe())

    def metric_key(self) -> str | None:
        if not self.history:
            return None
        for key in METRIC_KEYS:
            if key in self.history[-1]:
                return key
        others = [k for k in self.history[-1] if k not in ("epoch", "loss", "seconds", "lr")]
        return others[0] if others else None

    def _replot(self) -> None:
        xs = [p["epoch"] for p in self.history]
        ys = [p["loss"] for p in self.history]
        self.loss_curve.setData(xs, ys)
        _fit_view(self.loss_plot, xs, ys)
        # The metric plot repaints on the next turn of the event loop, so that one turn
        # never pays for both plots (each costs ~20-30 ms of software painting here).
        QTimer.singleShot(0, self._replot_metric)

    def _replot_metric(self) -> None:
        key = self.metric_key()
        if key:
            pts = [(p["epoch"], p[key]) for p in self.history if key in p]
            xs, ys = [x for x, _ in pts], [y for _, y in pts]
            self.metric_curve.setData(xs, ys)
            _fit_view(self.metric_plot, xs, ys)
            if key != self._metric_title:  # a new title re-lays the plot out: only once
                self._metric_title = key
                self.metric_plot.setTitle(f"Held-out {METRIC_NAMES.get(key, key)} (your library)")
        if self.history:
            self.epoch_plotted.emit(int(self.history[-1]["epoch"]))

    def _finished(self, outcome: Any) -> None:
        self.outcome = outcome
        path = Path(str(getattr(outcome, "checkpoint_path", "")))
        # The done line names the plot's metric, at the epoch that was kept.
        key = self.metric_key()
        metrics = getattr(outcome, "metrics", {}) or {}
        best = getattr(outcome, "best_epoch", 0)
        shown = (
            f" Held-out {METRIC_NAMES.get(key, key)} {metrics[key]:.4f} at epoch {best}."
            if key and isinstance(metrics.get(key), float)
            else ""
        )
        self.summary.setText(getattr(outcome, "summary", "") or "")
        if getattr(outcome, "worse_than_active", False) and self.ask_keep_active(outcome):
            self.kept_active = True
            self.status.setText(f"Done: kept the active model; {path.name} is in the Model menu.")
        else:
            self.status.setText(f"Done: {path.name} is now the active model.{shown}")
        self._reset_buttons("Close")
        self.trained.emit(outcome)

    def ask_keep_active(self, outcome: Any) -> bool:
        """Asks whether to keep the active model over a new one that scores below it on
        this library. True = keep the active one (the default button)."""
        box = QMessageBox(self)
        box.setWindowTitle("The new model scores lower")
        box.setIcon(QMessageBox.Icon.Question)
        box.setText(
            "The new model scores below the active one on held-out playlists of your "
            "library. Keep the active model?"
        )
        box.setInformativeText(getattr(outcome, "summary", ""))
        keep = box.addButton("Keep the active model", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Use the new model", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)
        box.exec()
        return box.clickedButton() is keep

    def _failed(self, exc: BaseException) -> None:
        self._reset_buttons("Close")
        if isinstance(exc, Cancelled):
            self.cancelled = True
            self.status.setText("Training cancelled; the previous model stays active.")
        else:
            self.status.setText("Training failed; the previous model stays active.")
            self.window_.show_error(exc)

    def _reset_buttons(self, cancel_text: str) -> None:
        self.start_button.setEnabled(True)
        for w in (self.model, self.epochs, self.dim, self.loss, self.device):
            w.setEnabled(True)
        self._model_changed()  # the content model has one loss only
        for box in self.source_boxes.values():
            box.setEnabled(True)
        self.cancel_button.setText(cancel_text)

    def cancel_or_close(self) -> None:
        if self.job is not None and not self.job.done:
            self.job.cancel()
            self.status.setText("Cancelling after the current step…")
        else:
            self.reject()

    def reject(self) -> None:
        if self.job is not None and not self.job.done:
            self.job.cancel()  # closing the dialog cancels the run; the result arrives anyway
        super().reject()


def _fit_view(plot: pg.PlotWidget, xs: list[float], ys: list[float]) -> None:
    """Sets the plot's range to its points with a margin, in one view update; the epoch
    axis ticks whole epochs only (never 1.5)."""
    if not xs:
        return
    low, high = min(ys), max(ys)
    pad = (high - low) * 0.08 or abs(high) * 0.05 or 0.05
    plot.getViewBox().setRange(
        xRange=(min(xs) - 0.3, max(xs) + 0.3), yRange=(low - pad, high + pad), padding=0
    )
    step = max(1, round((max(xs) - min(xs)) / 8))
    plot.getAxis("bottom").setTickSpacing(major=step, minor=step)
