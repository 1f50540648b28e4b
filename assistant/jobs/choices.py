"""The names and defaults a front end offers (models, baselines, devices, protocols, a
training run's options), importable without numpy, scipy or torch: the CLI builds its
parser from them on every start, the window its forms."""

from __future__ import annotations

from assistant.ml.spec import ARCHITECTURES, BASELINES, TrainConfig

DEVICES = ("auto", "cpu", "cuda")
PROTOCOLS = ("link", "challenge")

__all__ = ["ARCHITECTURES", "BASELINES", "DEVICES", "PROTOCOLS", "TrainConfig"]
