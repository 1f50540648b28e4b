"""Train a model on the library with a live plot of loss and validation metric.

The run itself is ``assistant.jobs.training.train_on_library`` in the worker; its
per-epoch progress events (``metrics={"loss": …, "ndcg": …}``) feed the plots here. A
cancel or a failure leaves the active model as it was (the job writes its checkpoint
atomically and only a success switches the window to it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from assistant.errors import Cancelled
from assistant.jobs.checkpoints import device_choices
from assistant.jobs.training import default_checkpoint_path
from assistant.progress import Progress, format_seconds

MODELS = (("GAT+MLP", "gat-mlp"), ("GAT", "gat"), ("LightGCN", "lightgcn"))
# (label, loss, negatives): the default first; BPR with hard negatives is the study's.
LOSSES = (
    ("Softmax over all tracks (default)", "softmax", "hard"),
    ("BPR, hard negatives (reference study)", "bpr", "hard"),
    ("BPR, random negatives", "bpr", "random"),
)
METRIC_KEYS = ("ndcg", "recall@50", "recall@20", "r_precision", "val_ndcg")


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
        self.dim.setAccessibleName("Embedding dimension")
        self.dim.setRange(8, 512)
        self.dim.setSingleStep(8)
        self.dim.setValue(64)
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
        form = QFormLayout()
        form.addRow("Model:", self.model)
        form.addRow("Epochs:", self.epochs)
        form.addRow("Dimension:", self.dim)
        form.addRow("Loss:", self.loss)
        form.addRow("Device:", self.device)

        self.progress = QProgressBar()
        self.progress.setAccessibleName("Training progress")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.status = QLabel(
            "Trains on every playlist of the library; the result becomes the active model."
        )
        self.status.setWordWrap(False)
        self.status.setAccessibleName("Training status")

        pg.setConfigOptions(antialias=False)
        palette = self.palette()
        background = palette.color(QPalette.ColorRole.Base)
        foreground = palette.color(QPalette.ColorRole.Text)
        accent = palette.color(QPalette.ColorRole.Highlight)
        self.loss_plot = pg.PlotWidget(background=background, title="Training loss")
        self.metric_plot = pg.PlotWidget(background=background, title="Validation metric")
        for plot in (self.loss_plot, self.metric_plot):
            plot.setAccessibleName(plot.getPlotItem().titleLabel.text)
            plot.showGrid(x=True, y=True, alpha=0.2)
            plot.setLabel("bottom", "epoch")
            plot.setMinimumHeight(180)
            for axis in ("left", "bottom"):
                plot.getAxis(axis).setPen(foreground)
                plot.getAxis(axis).setTextPen(foreground)
            # Ranges are set by _fit_view once per epoch: pyqtgraph's auto-range would
            # paint each plot twice per point (once before, once after re-ranging), and a
            # fixed axis width keeps new tick labels from re-laying the dialog out.
            plot.disableAutoRange()
            plot.getAxis("left").setWidth(56)
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
        layout.addLayout(plots, 1)
        layout.addLayout(buttons)
        self.resize(760, 560)
        window.worker.submit(
            device_choices, on_result=self._set_device_labels, on_error=lambda _e: None
        )

    def _set_device_labels(self, labels: dict[str, str]) -> None:
        for i in range(self.device.count()):
            key = self.device.itemData(i)
            self.device.setItemText(i, labels.get(key, key))

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
        from assistant.ui.jobs import train_job

        if self.job is not None and not self.job.done:
            return
        config = config if config is not None and not isinstance(config, bool) else self.config()
        self.history.clear()
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
        self.cancel_button.setText("Cancel")
        out = default_checkpoint_path(model, self.out_dir)
        self.job = self.window_.worker.submit(
            train_job,
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
                text += f" · {key} {last[key]:.4f}"
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
                self.metric_plot.setTitle(f"Validation {key}")
        if self.history:
            self.epoch_plotted.emit(int(self.history[-1]["epoch"]))

    def _finished(self, outcome: Any) -> None:
        self.outcome = outcome
        metrics = getattr(outcome, "metrics", {}) or {}
        shown = ", ".join(
            f"{k} {v:.4f}" for k, v in list(metrics.items())[:3] if isinstance(v, float)
        )
        path = Path(str(getattr(outcome, "checkpoint_path", "")))
        self.status.setText(f"Done: {path.name} is now the active model. {shown}")
        self._reset_buttons("Close")
        self.trained.emit(outcome)

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
    """Sets the plot's range to its points with a margin, in one view update."""
    if not xs:
        return
    low, high = min(ys), max(ys)
    pad = (high - low) * 0.08 or abs(high) * 0.05 or 0.05
    plot.getViewBox().setRange(
        xRange=(min(xs) - 0.3, max(xs) + 0.3), yRange=(low - pad, high + pad), padding=0
    )
