"""Emotion training data: FER2013's CSV or one folder per class, as grey S x S face crops.

Two layouts are read (S = facepack.spec.EMOTION_CROP.output, 64):

    fer2013.csv          the header `emotion,pixels,Usage`, then one face per line:
                         emotion   0..6 in facepack.spec.EMOTION_LABELS order (FER2013's own)
                         pixels    48 x 48 = 2304 space-separated grey values 0..255, row by row
                         Usage     Training | PublicTest | PrivateTest
    ROOT/<label>/*       one folder per class, named by its label in any case ("angry", "Angry");
    ROOT/{train,test}/<label>/*   or split first, as Kaggle's FER folder copy is laid out

Splits: `train` always; the CSV's PublicTest and PrivateTest become the test splits `public` and
`private`; a folder layout's test/ becomes the one test split `test` (none without test/).

`faces` says what an image is:
    "crops"   already a face crop (FER2013's are): made grey and resized to S x S
    "photos"  a photo: the browser's detector finds the main face (facepack.detect.main_face)
              and facepack.spec.EMOTION_CROP cuts it, as the browser does; a photo without a
              face is left out and listed in `EmotionData.no_face`

Every crop is stored grey (uint8), because the model's first layer makes its RGB input grey
anyway (facepack.models.emotion.grey_and_scale_layer): a third of the memory, the same input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from facepack import images, spec
from facepack.crop import crop_faces
from facepack.detect import Detector, main_face
from facepack.models.emotion import GREY_WEIGHTS
from training.dataset import DatasetError

CSV_HEADER = "emotion,pixels,Usage"
FER_SIDE = 48
CSV_SPLITS = {"Training": "train", "PublicTest": "public", "PrivateTest": "private"}
FOLDER_SPLITS = ("train", "test")
FACES = ("crops", "photos")
LAYOUTS = ("csv", "folders")
CLASS_NUMBERS = tuple(str(k) for k in range(len(spec.EMOTION_LABELS)))


@dataclass
class Faces:
    """One split: grey crops and their classes."""

    images: np.ndarray  # uint8 (n, S, S)
    labels: np.ndarray  # int64 (n,), indexes into spec.EMOTION_LABELS

    def __len__(self) -> int:
        return len(self.labels)

    def counts(self) -> dict[str, int]:
        """Images per class, by label."""
        counts = np.bincount(self.labels, minlength=len(spec.EMOTION_LABELS))
        return {label: int(n) for label, n in zip(spec.EMOTION_LABELS, counts, strict=True)}


@dataclass
class EmotionData:
    """What a source holds: the training split, the test splits, the photos left out."""

    train: Faces
    tests: dict[str, Faces]  # "public" and "private" (CSV), "test" (folders), or none
    no_face: list[str] = field(default_factory=list)  # photos where no face was found (left out)


@dataclass(frozen=True)
class EmotionSource:
    """Where the data is and how to read it (`python -m training emotion --csv/--folders, --faces`)."""

    path: Path
    layout: str  # "csv" | "folders"
    faces: str = "crops"  # "crops" | "photos"

    def __post_init__(self) -> None:
        if self.layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}, not {self.layout!r}")
        if self.faces not in FACES:
            raise ValueError(f"--faces must be one of {', '.join(FACES)}, not {self.faces!r}")

    def describe(self) -> str:
        """One line for reports and the bundle's provenance: the file or folder's name, not its
        path (a bundle is published; where the data lay on one machine is not its business)."""
        what = "FER2013 CSV" if self.layout == "csv" else "class folders"
        return f"{what} {Path(self.path).resolve().name} ({self.faces})"

    def read(self, progress: bool = True) -> EmotionData:
        """Every split as grey crops.

        Raises:
            DatasetError: the first malformed line, unknown folder or unreadable image, named.
        """
        cutter = FaceCutter(self.faces)
        if self.layout == "csv":
            return read_fer2013_csv(Path(self.path), cutter, progress)
        return read_class_folders(Path(self.path), cutter, progress)


def to_grey(rgb: np.ndarray) -> np.ndarray:
    """uint8 grey of RGB values (..., 3) in [0, 255], with the weights the model's first layer uses."""
    return np.clip(np.rint(np.asarray(rgb, np.float32) @ np.array(GREY_WEIGHTS, np.float32)), 0, 255).astype(np.uint8)


class FaceCutter:
    """Turns one image into the model's grey S x S crop, by `faces` ("crops" or "photos")."""

    def __init__(self, faces: str):
        self.rule = spec.EMOTION_CROP
        self._detector = Detector() if faces == "photos" else None

    def __call__(self, image: np.ndarray) -> np.ndarray | None:
        """The crop of an RGB (H, W, 3) or grey (H, W) uint8 image; None: no face in a photo."""
        if self._detector is None:
            grey = image if image.ndim == 2 else to_grey(image)
            side = self.rule.output
            return np.asarray(Image.fromarray(grey).resize((side, side), Image.BILINEAR))
        rgb = image if image.ndim == 3 else np.repeat(image[..., None], 3, axis=2)
        face = main_face(self._detector.detect([rgb])[0])
        if face is None:
            return None
        return to_grey(crop_faces(rgb, [face], self.rule)[0])


class _SplitBuilder:
    """Crops and labels of one split, gathered one image at a time."""

    def __init__(self) -> None:
        self.crops: list[np.ndarray] = []
        self.labels: list[int] = []

    def add(self, crop: np.ndarray, label: int) -> None:
        self.crops.append(crop)
        self.labels.append(label)

    def build(self, side: int) -> Faces:
        crops = np.stack(self.crops) if self.crops else np.zeros((0, side, side), np.uint8)
        return Faces(crops, np.array(self.labels, np.int64))


def _data(splits: dict[str, _SplitBuilder], no_face: list[str], where: Path, side: int) -> EmotionData:
    built = {name: b.build(side) for name, b in splits.items()}
    train = built.pop("train")
    if not len(train):
        raise DatasetError(f"{where} has no training images")
    return EmotionData(train, {name: faces for name, faces in built.items() if len(faces)}, no_face)


def _is_integer(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


def parse_csv_line(line: str, path: Path, number: int) -> tuple[int, np.ndarray, str]:
    """(class, 48 x 48 uint8 image, split name) of one FER2013 data line.

    Raises:
        DatasetError: `path:number: what is wrong`.
    """
    fields = line.split(",")
    if len(fields) != 3:
        raise DatasetError(f"{path}:{number}: expected 3 comma-separated fields ({CSV_HEADER}), got {len(fields)}")
    emotion, pixels, usage = (f.strip() for f in fields)
    if emotion not in CLASS_NUMBERS:
        raise DatasetError(f"{path}:{number}: emotion {emotion!r} is not a class number 0..6")
    values = pixels.split()
    if len(values) != FER_SIDE * FER_SIDE:
        raise DatasetError(f"{path}:{number}: expected {FER_SIDE * FER_SIDE} pixels ({FER_SIDE}x{FER_SIDE}), "
                           f"got {len(values)}")
    try:
        grey = np.array(values, np.int64)
    except ValueError:
        bad = next(v for v in values if not _is_integer(v))
        raise DatasetError(f"{path}:{number}: pixel {bad!r} is not a whole number 0..255") from None
    outside = (grey < 0) | (grey > 255)
    if outside.any():
        raise DatasetError(f"{path}:{number}: pixel {int(grey[outside][0])} is outside 0..255")
    if usage not in CSV_SPLITS:
        raise DatasetError(f"{path}:{number}: Usage {usage!r} is not one of {', '.join(CSV_SPLITS)}")
    return int(emotion), grey.astype(np.uint8).reshape(FER_SIDE, FER_SIDE), CSV_SPLITS[usage]


def read_fer2013_csv(path: Path, cutter: FaceCutter, progress: bool = True) -> EmotionData:
    """FER2013's fer2013.csv, read line by line (the real file: 35,887 faces, 290 MB).

    Raises:
        DatasetError: the file is missing, or `path:line: ...` for the first malformed line.
    """
    if not path.is_file():
        raise DatasetError(f"FER2013 CSV {path} does not exist")
    splits = {name: _SplitBuilder() for name in CSV_SPLITS.values()}
    no_face = []
    with path.open("rb") as file, tqdm(total=path.stat().st_size, desc=f"reading {path.name}", unit="B",
                                       unit_scale=True, disable=not progress) as bar:
        header = file.readline()
        bar.update(len(header))
        header_text = header.decode("utf-8-sig", errors="replace").strip()
        if header_text != CSV_HEADER:
            raise DatasetError(f"{path}:1: expected the header {CSV_HEADER!r}, got {header_text[:60]!r}")
        for number, raw in enumerate(file, start=2):
            bar.update(len(raw))
            line = raw.decode("ascii", errors="replace").strip()
            if not line:
                continue
            label, grey, split = parse_csv_line(line, path, number)
            crop = cutter(grey)
            if crop is None:
                no_face.append(f"{path.name}:{number}")
            else:
                splits[split].add(crop, label)
    return _data(splits, no_face, path, cutter.rule.output)


def _label_of(folder: Path) -> int:
    names = [label.lower() for label in spec.EMOTION_LABELS]
    if folder.name.lower() not in names:
        raise DatasetError(f"{folder}: {folder.name!r} is not an emotion label; class folders are named "
                           f"{', '.join(spec.EMOTION_LABELS)} (any case)")
    return names.index(folder.name.lower())


def _subfolders(folder: Path) -> list[Path]:
    """The folders in `folder`; a file beside them is refused (it would belong to no class)."""
    entries = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    stray = [p for p in entries if not p.is_dir()]
    if stray:
        raise DatasetError(f"{stray[0]} is a file where only class folders belong")
    return entries


def read_class_folders(root: Path, cutter: FaceCutter, progress: bool = True) -> EmotionData:
    """ROOT/<label>/* (all training images) or ROOT/{train,test}/<label>/*. Files whose name
    starts with "." are skipped.

    Raises:
        DatasetError: the root is missing, a folder is not a label, or an image is unreadable.
    """
    if not root.is_dir():
        raise DatasetError(f"class folder root {root} does not exist")
    top = _subfolders(root)
    if any(p.name.lower() in FOLDER_SPLITS for p in top):
        unknown = [p for p in top if p.name.lower() not in FOLDER_SPLITS]
        if unknown:
            raise DatasetError(f"{unknown[0]}: beside train/ and test/ only those two folders may be in {root}")
        by_split = {p.name.lower(): p for p in top}
    else:
        by_split = {"train": root}
    jobs = []  # (split, label, image path)
    for split, folder in by_split.items():
        for class_folder in _subfolders(folder):
            label = _label_of(class_folder)
            for image_path in sorted(class_folder.iterdir()):
                if image_path.name.startswith("."):
                    continue
                if image_path.is_dir():
                    raise DatasetError(f"{image_path} is a folder; a class folder holds images only")
                jobs.append((split, label, image_path))
    splits = {name: _SplitBuilder() for name in FOLDER_SPLITS}
    no_face = []
    for split, label, image_path in tqdm(jobs, desc=f"reading {root.name}", unit="img", disable=not progress):
        try:
            image = images.load_image(image_path)
        except images.ImageError as err:
            raise DatasetError(str(err)) from None
        crop = cutter(image)
        if crop is None:
            no_face.append(str(image_path.relative_to(root)))
        else:
            splits[split].add(crop, label)
    return _data(splits, no_face, root, cutter.rule.output)
