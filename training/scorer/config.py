"""`FitConfig`: how `python -m training fit` trains one scorer branch (every field a flag).

Saved in the run folder's config.json (under "fit"), and read back by `ship`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from facepack import spec
from facepack.models.scorer import BACKBONES, scorer_crop
from training.common import option


@dataclass(frozen=True)
class FitConfig:
    backbone: str = option("faceapi-resnet29", "the branch's backbone: one of facepack.models.scorer.BACKBONES")
    input_size: int = option(0, "crop side in pixels; 0: the backbone's own (else resized in the graph)")
    protocol: str = option("split60", "split60 (the official 60/40 split) or cv5 (5-fold cross-validation)")
    seed: int = option(0, "seeds numpy, keras, the validation hold-out and the augmentation")
    val_fraction: float = option(0.1, "of the training split, held out to stop each stage")
    align: bool = option(True, "crops turned to level the eyes (facepack.spec.SCORER_CROP.rotate = 'eyes')")
    views: int = option(6, "augmented views of each training photo (0: clean crops and mirror images only)")
    crop_jitter: float = option(1.0, "scales the landmark, scale and shift jitter of view crops "
                                     "(transforms.CropJitter)")
    label_sigma: float = option(3.0, "0: one-hot labels (the seed); > 0: Gaussian label distribution, in points")
    combo_weight: float = option(0.0, "weight of |expected rating - rating| beside the cross-entropy")
    rank_weight: float = option(0.0, "weight of the pairwise ranking loss")
    tta_flip: bool = option(False, "evaluate as the mean over each crop and its mirror image")
    stage1_epochs: int = option(40, "stage 1: the head only, backbone frozen")
    stage1_lr: float = option(1e-2, "stage 1's Adam learning rate")
    # Stage 2 fine-tunes from `finetune_from`; 0 epochs skips it. A backbone with nothing
    # pretrained trains whole in this one stage, with Adam.
    stage2_epochs: int = option(20, "stage 2: fine-tuning from --finetune-from (0: no stage 2)")
    stage2_lr: float = option(3e-4, "stage 2's SGD learning rate (the seed's 1e-3 overfit after 3 epochs here; "
                                    "see MODEL_CARD.md)")
    finetune_from: str = option("", "the first layer stage 2 trains (empty: the backbone's default layer)")
    momentum: float = option(0.9, "stage 2's SGD momentum")
    batch_size: int = option(32, "crops per step")
    patience: int = option(5, "epochs without a better validation loss before a stage stops")
    backbone_weights: str | None = option(None, "resnet50 only: an ImageNet weights file")

    def __post_init__(self) -> None:
        if self.backbone not in BACKBONES:
            raise ValueError(f"--backbone must be one of {', '.join(BACKBONES)}, not {self.backbone!r}")
        if self.protocol not in ("split60", "cv5"):
            raise ValueError(f"--protocol must be split60 or cv5, not {self.protocol!r}")

    def size(self) -> int:
        return self.input_size or BACKBONES[self.backbone].input_size

    def crop_rule(self) -> spec.CropRule:
        rule = scorer_crop(self.size())
        return rule if self.align else dataclasses.replace(rule, rotate="none")

    def first_trainable(self) -> str | None:
        return self.finetune_from or BACKBONES[self.backbone].finetune_from
