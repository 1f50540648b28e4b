"""The active model: warm-up, the status bar's model and device, switching checkpoints.

A mixin of :class:`~assistant.ui.mainwindow.MainWindow`; the window holds the state.
"""

from __future__ import annotations

from pathlib import Path

from assistant.jobs.checkpoints import active_checkpoint_path, set_active
from assistant.ui import actions as window_actions
from assistant.ui import tasks


class ModelMixin:
    """The active model (mixed into MainWindow)."""

    def _warmed_up(self, info: tuple[str, str]) -> None:
        self.model_name, self.device_name = info
        self.update_model_status()

    def update_model_status(self) -> None:
        if self.closed:
            return
        path = active_checkpoint_path(self.settings)
        name = self.model_name or path.stem
        self.model_label.setText(f"Model: {name} ({path.name})")
        self.model_label.setToolTip(str(path))
        self.device_label.setText(f"Device: {self.device_name}")
        window_actions.rebuild_model_menu(self)

    def choose_checkpoint(self, path: str | Path) -> None:
        """The Model menu's switch: the worker validates and registers the file first (as
        ``playlist-assistant use`` does); a corrupt or foreign file is refused, the active
        model stays."""
        self.worker.submit(
            tasks.activate_checkpoint_task,
            self.library_path,
            str(path),
            on_result=self.set_active_checkpoint,
            on_error=self._checkpoint_refused,
            name="activate",
        )

    def _checkpoint_refused(self, exc: BaseException) -> None:
        self.show_error(exc)
        window_actions.rebuild_model_menu(self)  # the check mark goes back

    def set_active_checkpoint(self, path: str | Path | None) -> None:
        """Switches the model (None or the bundled path: the bundled one) and rescores."""
        set_active(self.settings, path)
        self.model_name = ""
        self.update_model_status()
        self.model_changed.emit(str(active_checkpoint_path(self.settings)))
        self.worker.submit(
            tasks.warm_up_task,
            str(active_checkpoint_path(self.settings)),
            self.settings.device,
            on_result=self._warmed_up,
            on_error=lambda _e: None,
        )
        self.worker.submit(
            tasks.coverage_task,
            self.library_path,
            str(active_checkpoint_path(self.settings)),
            self.settings.device,
            on_result=lambda text: (
                text and not self.closed and self.statusBar().showMessage(text, 15000)
            ),
            on_error=lambda _e: None,
        )
        self.playlist_changed()
