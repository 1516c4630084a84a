"""SCUT-FBP5500 (v2) as laid out by its authors.

    <root>/Images/AF1.jpg ...                                 5,500 photos, 350x350
    <root>/train_test_files/All_labels.txt                    "AF1.jpg 2.716667" per line
    <root>/train_test_files/split_of_60%training and 40%testing/{train,test}.txt
    <root>/train_test_files/5_folders_cross_validations_files/cross_validation_K/{train,test}_K.txt

Subgroups come from the file name: AF / AM (Asian female / male), CF / CM (Caucasian).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SPLIT60 = "split_of_60%training and 40%testing"
CV5 = "5_folders_cross_validations_files"
SUBGROUPS = ("AF", "AM", "CF", "CM")
PROTOCOLS = ("split60", "cv5")


class DatasetError(ValueError):
    """A malformed label file, a missing image or an empty split; the message names the file."""


@dataclass(frozen=True)
class Sample:
    name: str  # file name, e.g. "AF1.jpg"
    rating: float  # mean rating, 1..5

    @property
    def subgroup(self) -> str:
        return self.name[:2]


@dataclass(frozen=True)
class Fold:
    name: str  # "split60" or "cv5-1" .. "cv5-5"
    train: tuple[Sample, ...]
    test: tuple[Sample, ...]


def read_labels(path: Path) -> list[Sample]:
    """Parse one label file: `<image name> <rating>` per line.

    Raises:
        DatasetError: naming the file and line of the first malformed entry.
    """
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"label file {path} does not exist")
    samples = []
    for number, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 2:
            raise DatasetError(f"{path}:{number}: expected '<image> <rating>', got {line.strip()!r}")
        name, text = parts
        try:
            rating = float(text)
        except ValueError:
            raise DatasetError(f"{path}:{number}: rating {text!r} is not a number") from None
        if not 1.0 <= rating <= 5.0:
            raise DatasetError(f"{path}:{number}: rating {rating} is outside 1..5")
        if name[:2] not in SUBGROUPS or not name.lower().endswith((".jpg", ".jpeg", ".png")):
            raise DatasetError(f"{path}:{number}: {name!r} is not an SCUT-FBP5500 image name (AF/AM/CF/CM...jpg)")
        samples.append(Sample(name, rating))
    if not samples:
        raise DatasetError(f"label file {path} has no samples")
    return samples


class ScutFbp5500:
    """The dataset under `root` (the folder holding Images/ and train_test_files/)."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.images = self.root / "Images"
        self.files = self.root / "train_test_files"
        if not self.images.is_dir() or not self.files.is_dir():
            raise DatasetError(f"{self.root} is not SCUT-FBP5500: it needs Images/ and train_test_files/")

    def image_path(self, sample: Sample) -> Path:
        return self.images / sample.name

    def all_samples(self) -> list[Sample]:
        return self._checked(self.files / "All_labels.txt")

    def folds(self, protocol: str) -> list[Fold]:
        """The official train/test splits: one for 'split60', five for 'cv5'."""
        if protocol == "split60":
            base = self.files / SPLIT60
            return [Fold("split60", tuple(self._checked(base / "train.txt")), tuple(self._checked(base / "test.txt")))]
        if protocol == "cv5":
            folds = []
            for k in range(1, 6):
                base = self.files / CV5 / f"cross_validation_{k}"
                folds.append(Fold(f"cv5-{k}", tuple(self._checked(base / f"train_{k}.txt")),
                                  tuple(self._checked(base / f"test_{k}.txt"))))
            return folds
        raise DatasetError(f"protocol must be one of {', '.join(PROTOCOLS)}, not {protocol!r}")

    def _checked(self, path: Path) -> list[Sample]:
        samples = read_labels(path)
        missing = [s.name for s in samples if not self.image_path(s).is_file()]
        if missing:
            more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
            raise DatasetError(f"{path} lists images missing from {self.images}: {', '.join(missing[:3])}{more}")
        return samples
