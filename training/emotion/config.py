"""`EmotionConfig`: how `python -m training emotion` trains (every field a flag, its help text the
field's comment; saved in the run folder's report.json under "config")."""

from __future__ import annotations

from dataclasses import dataclass

from training.common import option


@dataclass(frozen=True)
class EmotionConfig:
    epochs: int = option(60, "most passes over the training images")
    batch_size: int = option(64, "images per step")
    learning_rate: float = option(1e-3, "Adam's starting learning rate (halved when the hold-out loss stalls)")
    patience: int = option(10, "epochs without a better hold-out accuracy before training stops")
    val_fraction: float = option(0.1, "fraction of each class of the training split held out to choose the epoch")
    seed: int = option(0, "seeds the hold-out, the initial weights, the batches and the augmentation")
    width: int = option(32, "channels of the first stage; each later stage doubles them")
    stages: int = option(4, "residual stages, each halving the side (64 px: 32, 16, 8, 4)")
    blocks: int = option(2, "basic residual blocks per stage")
    dropout: float = option(0.3, "dropped fraction of the pooled features while training")
    mirror: bool = option(True, "augment with mirror images")
    shift: float = option(0.1, "augment with shifts of up to this fraction of the side")
    zoom: float = option(0.1, "augment with zooms in or out of up to this fraction")
    brightness: float = option(0.2, "augment with brightness changes of up to this fraction of 255")
    contrast: float = option(0.2, "augment with contrast changes of up to this fraction")

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "patience"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be at least 1, not {getattr(self, name)}")
        if not 0 < self.val_fraction < 1:
            raise ValueError(f"--val-fraction must be between 0 and 1, not {self.val_fraction}")
        if not self.learning_rate > 0:
            raise ValueError(f"--learning-rate must be above 0, not {self.learning_rate}")
        for name in ("dropout", "shift", "zoom", "brightness", "contrast"):
            if not 0 <= getattr(self, name) < 1:
                raise ValueError(f"--{name} must be in [0, 1), not {getattr(self, name)}")
