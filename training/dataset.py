"""The scorer's data: SCUT-FBP5500 (v2) as laid out by its authors, or a user's own ratings (a CSV).

    <root>/Images/AF1.jpg ...                                 5,500 photos, 350x350
    <root>/train_test_files/All_labels.txt                    "AF1.jpg 2.716667" per line
    <root>/train_test_files/split_of_60%training and 40%testing/{train,test}.txt
    <root>/train_test_files/5_folders_cross_validations_files/cross_validation_K/{train,test}_K.txt

Subgroups come from the file name: AF / AM (Asian female / male), CF / CM (Caucasian).

Own ratings (`RatedPhotos`): a CSV with a header row naming the columns
    image,rating[,split][,group]
    photos/alice.jpg,7.5,train,women
`image` is a path relative to the CSV's folder (or absolute); `rating` is on the scale the user
gives (`--scale 1-10`); `split` is train or test (without it, a seeded 60/40 split); `group` names
a subgroup the metrics are also reported for (without it, one group, "all"). A rating maps onto
the scorer's 101 bins linearly: the scale's low end is 0 points, its high end 100
(`RatingScale`); inside training it is carried as points / 20, the unit SCUT-FBP5500's 1..5
ratings already have, so every metric and loss reads both alike.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SPLIT60 = "split_of_60%training and 40%testing"
CV5 = "5_folders_cross_validations_files"
SUBGROUPS = ("AF", "AM", "CF", "CM")
PROTOCOLS = ("split60", "cv5")


class DatasetError(ValueError):
    """A malformed label file, a missing image or an empty split; the message names the file."""


@dataclass(frozen=True)
class Sample:
    name: str  # file name, e.g. "AF1.jpg"; for own ratings, the image path as the CSV gives it
    rating: float  # SCUT-FBP5500: mean rating, 1..5; own ratings: points / 20 (RatingScale)
    group: str | None = None  # own ratings: the CSV's group column, or "all"

    @property
    def subgroup(self) -> str:
        return self.group if self.group is not None else self.name[:2]


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

    scale = None  # ratings are SCUT-FBP5500's own 1..5

    def __init__(self, root: Path):
        self.root = Path(root)
        self.images = self.root / "Images"
        self.files = self.root / "train_test_files"
        if not self.images.is_dir() or not self.files.is_dir():
            raise DatasetError(f"{self.root} is not SCUT-FBP5500: it needs Images/ and train_test_files/")

    def image_path(self, sample: Sample) -> Path:
        return self.images / sample.name

    def describe(self) -> str:
        return f"SCUT-FBP5500 v2 at {self.root.resolve()}"

    def cache_dir(self, cache: Path) -> Path:
        """Where this dataset's detections and crops are cached under `cache`."""
        return Path(cache)

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


@dataclass(frozen=True)
class RatingScale:
    """A user's rating scale, `low`..`high`, mapped linearly onto the scorer's 0..100 points."""

    low: float
    high: float

    @classmethod
    def parse(cls, text: str) -> RatingScale:
        """'1-10' or '0-5' (also '1..10'). Raises ValueError with one sentence."""
        parts = text.replace("..", "-").split("-")
        try:
            low, high = (float(p) for p in parts)
        except ValueError:
            raise ValueError(f"--scale must be LOW-HIGH, e.g. 1-10, not {text!r}") from None
        if not high > low:
            raise ValueError(f"--scale {text}: the high end must be above the low end")
        return cls(low, high)

    def to_training(self, rating: float) -> float:
        """The training unit (points / 20) of a rating on this scale."""
        return (rating - self.low) / (self.high - self.low) * 5.0

    def per_training_unit(self) -> float:
        """Scale units per training unit: multiplies an MAE or RMSE back onto this scale."""
        return (self.high - self.low) / 5.0


RATING_COLUMNS = ("image", "rating")
OPTIONAL_COLUMNS = ("split", "group")
SPLITS = ("train", "test")
MIN_SAMPLES = 10


def read_ratings(path: Path, scale: RatingScale) -> list[tuple[Sample, str | None, int]]:
    """Parse a ratings CSV (module docstring): [(sample, split or None, line number)].

    Raises:
        DatasetError: naming the file and line of the first malformed entry.
    """
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"ratings file {path} does not exist")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise DatasetError(f"{path}: not a UTF-8 text file ({err.reason} at byte {err.start})") from None
    rows = csv.reader(text.splitlines())
    header = next(rows, None)
    if header is None:
        raise DatasetError(f"ratings file {path} is empty")
    header = [h.strip().lower() for h in header]
    missing = [c for c in RATING_COLUMNS if c not in header]
    unknown = [c for c in header if c not in RATING_COLUMNS + OPTIONAL_COLUMNS]
    if missing or unknown:
        problem = f"lacks the column {missing[0]!r}" if missing else f"has an unknown column {unknown[0]!r}"
        raise DatasetError(f"{path}:1: the header {problem}; it names image, rating and optionally split, group")
    column = {name: header.index(name) for name in header}
    out, seen = [], {}
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise DatasetError(f"{path}:{number}: expected {len(header)} fields ({','.join(header)}), got {len(row)}")
        cell = {name: row[i].strip() for name, i in column.items()}
        name = cell["image"]
        if not name:
            raise DatasetError(f"{path}:{number}: the image path is empty")
        if name in seen:
            raise DatasetError(f"{path}:{number}: {name} is listed twice (first on line {seen[name]})")
        seen[name] = number
        try:
            rating = float(cell["rating"])
        except ValueError:
            raise DatasetError(f"{path}:{number}: rating {cell['rating']!r} is not a number") from None
        if not (scale.low <= rating <= scale.high):  # also refuses nan
            raise DatasetError(f"{path}:{number}: rating {rating:g} is outside the scale "
                               f"{scale.low:g}-{scale.high:g}")
        split = cell.get("split")
        if split is not None and split not in SPLITS:
            raise DatasetError(f"{path}:{number}: split must be train or test, not {split!r}")
        group = cell.get("group") or "all"
        out.append((Sample(name, scale.to_training(rating), group), split, number))
    if len(out) < MIN_SAMPLES:
        raise DatasetError(f"ratings file {path} has {len(out)} rated photos; training needs at least {MIN_SAMPLES}")
    return out


class RatedPhotos:
    """A user's rated photos (module docstring), with the same reading as ScutFbp5500."""

    def __init__(self, csv_path: Path, scale: RatingScale, split_seed: int = 0, test_fraction: float = 0.4):
        self.csv = Path(csv_path)
        self.scale = scale
        self.split_seed, self.test_fraction = split_seed, test_fraction
        self.rows = read_ratings(self.csv, scale)
        self.root = self.csv.parent
        missing = [(s, line) for s, _, line in self.rows if not self.image_path(s).is_file()]
        if missing:
            (sample, line), more = missing[0], f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
            raise DatasetError(f"{self.csv}:{line}: image {sample.name} not found at {self.image_path(sample)}{more}")

    def image_path(self, sample: Sample) -> Path:
        path = Path(sample.name)
        return path if path.is_absolute() else self.root / path

    def describe(self) -> str:
        return (f"own ratings: {self.csv.resolve()} ({len(self.rows)} photos, scale "
                f"{self.scale.low:g}-{self.scale.high:g})")

    def cache_dir(self, cache: Path) -> Path:
        """A folder of its own under `cache`: detections are cached by image name, and names
        from two CSVs (or from SCUT-FBP5500) may coincide."""
        digest = hashlib.sha256(str(self.csv.resolve()).encode()).hexdigest()[:10]
        return Path(cache) / f"ratings-{digest}"

    def all_samples(self) -> list[Sample]:
        return [s for s, _, _ in self.rows]

    def folds(self, protocol: str) -> list[Fold]:
        """split60: the CSV's split column, or a seeded split with `test_fraction` tested;
        cv5: five seeded folds over every photo."""
        samples = self.all_samples()
        if protocol == "split60":
            if self.rows[0][1] is not None:  # the CSV has a split column: read_ratings checked every row's
                train = tuple(s for s, split, _ in self.rows if split == "train")
                test = tuple(s for s, split, _ in self.rows if split == "test")
            else:
                order = np.random.default_rng(self.split_seed).permutation(len(samples))
                n_test = max(1, int(round(len(samples) * self.test_fraction)))
                held = {int(i) for i in order[:n_test]}
                train = tuple(s for i, s in enumerate(samples) if i not in held)
                test = tuple(s for i, s in enumerate(samples) if i in held)
            if not train or not test:
                raise DatasetError(f"{self.csv}: the split has {len(train)} training and {len(test)} test photos; "
                                   "it needs both")
            return [Fold("split60", train, test)]
        if protocol == "cv5":
            order = np.random.default_rng(self.split_seed).permutation(len(samples))
            parts = np.array_split(order, 5)
            folds = []
            for k, part in enumerate(parts, start=1):
                held = set(part.tolist())
                folds.append(Fold(f"cv5-{k}", tuple(s for i, s in enumerate(samples) if i not in held),
                                  tuple(samples[i] for i in sorted(held))))
            return folds
        raise DatasetError(f"protocol must be one of {', '.join(PROTOCOLS)}, not {protocol!r}")


def as_dataset(data) -> ScutFbp5500 | RatedPhotos:
    """`data` as it is when it is a dataset already; else the SCUT-FBP5500 folder at that path."""
    return data if isinstance(data, ScutFbp5500 | RatedPhotos) else ScutFbp5500(data)


Dataset = ScutFbp5500 | RatedPhotos  # what the scorer's training reads
