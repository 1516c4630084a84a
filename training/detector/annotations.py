"""Face annotations for detector training, from three dataset layouts, as one record per photo.

    celeba   <root>/list_bbox_celeba.txt         image_id x_1 y_1 width height  (two header lines)
             <root>/list_landmarks_celeba.txt    image_id lefteye_x lefteye_y righteye_x ... (two header lines)
             <root>/list_eval_partition.txt      image_id 0|1|2   (train, val, test)
             <root>/img_celeba/ (or img_align_celeba/)
    wider    <root>/wider_face_split/wider_face_{train,val}_bbx_gt.txt and
             <root>/WIDER_{train,val}/images/: a file name, a face count, then one line per face:
             x y w h blur expression illumination invalid occlusion pose (boxes only)
    scut     SCUT-FBP5500 v2: the 86 hand-labelled points of each photo give the 5 landmarks (eyes 58
             and 59, nose tip the mean of 63-69, mouth corners 79 and 73) and a box; the box is the
             points' bounding box moved and scaled onto the `mtcnn` package's box convention by a
             calibration fitted on the training photos (`calibrate_scut_boxes`).

Every malformed line is refused with the file and line number (DatasetError).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from training.dataset import DatasetError, ScutFbp5500

LAYOUTS = ("scut", "celeba", "wider")


@dataclass
class PhotoFaces:
    """The true faces of one photo: boxes (n, 4) x1, y1, x2, y2 and, where known, 5 landmarks each."""

    path: Path
    boxes: np.ndarray
    landmarks: np.ndarray | None = None  # (n, 5, 2) in LANDMARKS order, or None (boxes only)
    name: str = ""

    def __post_init__(self) -> None:
        self.boxes = np.asarray(self.boxes, np.float64).reshape(-1, 4)
        if self.landmarks is not None:
            self.landmarks = np.asarray(self.landmarks, np.float64).reshape(-1, 5, 2)
        self.name = self.name or self.path.name


@dataclass
class Splits:
    train: list[PhotoFaces] = field(default_factory=list)
    test: list[PhotoFaces] = field(default_factory=list)
    about: str = ""  # how the split and boxes were made, for the report
    left_out: list[str] = field(default_factory=list)  # photos without annotations


def _lines(path: Path) -> list[str]:
    if not path.is_file():
        raise DatasetError(f"{path} does not exist")
    return path.read_text(encoding="utf-8-sig").splitlines()


def _numbers(path: Path, number: int, fields: list[str], count: int, what: str) -> list[float]:
    if len(fields) != count:
        raise DatasetError(f"{path}:{number}: expected {what} ({count} numbers), got {len(fields)}")
    try:
        return [float(v) for v in fields]
    except ValueError:
        raise DatasetError(f"{path}:{number}: {' '.join(fields)!r} are not all numbers") from None


# ------------------------------------------------------------------------------------ CelebA
def read_celeba(root: Path) -> Splits:
    """CelebA: its partition 0 trains, 2 tests (1, validation, is left out: fit holds out its own)."""
    root = Path(root)
    images = next((root / d for d in ("img_celeba", "img_align_celeba") if (root / d).is_dir()), None)
    if images is None:
        raise DatasetError(f"{root} has no img_celeba/ or img_align_celeba/ folder")
    boxes, marks, parts = {}, {}, {}
    for name, table, count, what in (("list_bbox_celeba.txt", boxes, 4, "x_1 y_1 width height"),
                                     ("list_landmarks_celeba.txt", marks, 10, "5 landmarks' x and y")):
        path = root / name
        lines = _lines(path)
        for number, line in enumerate(lines[2:], start=3):  # a count, then the column names
            fields = line.split()
            if not fields:
                continue
            table[fields[0]] = _numbers(path, number, fields[1:], count, what)
    path = root / "list_eval_partition.txt"
    for number, line in enumerate(_lines(path), start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 2 or fields[1] not in ("0", "1", "2"):
            raise DatasetError(f"{path}:{number}: expected '<image> 0|1|2', got {line.strip()!r}")
        parts[fields[0]] = int(fields[1])
    splits = Splits(about="CelebA: list_eval_partition 0 = train, 2 = test; boxes as given, 5 landmarks")
    for image, part in parts.items():
        if image not in boxes:
            raise DatasetError(f"{root / 'list_bbox_celeba.txt'} has no box for {image}")
        x, y, w, h = boxes[image]
        lm = np.asarray(marks[image]).reshape(5, 2) if image in marks else None
        photo = PhotoFaces(images / image, [[x, y, x + w, y + h]], None if lm is None else lm[None])
        if part == 0:
            splits.train.append(photo)
        elif part == 2:
            splits.test.append(photo)
    return splits


# ------------------------------------------------------------------------------------- WIDER
def read_wider_file(path: Path, images: Path) -> list[PhotoFaces]:
    lines = _lines(path)
    photos, i = [], 0
    while i < len(lines):
        name = lines[i].strip()
        if not name:
            i += 1
            continue
        if not name.lower().endswith((".jpg", ".jpeg", ".png")):
            raise DatasetError(f"{path}:{i + 1}: expected an image file name, got {name!r}")
        if i + 1 >= len(lines):
            raise DatasetError(f"{path}:{i + 2}: missing the face count of {name}")
        try:
            count = int(lines[i + 1])
        except ValueError:
            raise DatasetError(f"{path}:{i + 2}: face count {lines[i + 1].strip()!r} is not a number") from None
        rows = max(count, 1)  # a photo with 0 faces still has one line of zeros
        boxes = []
        for k in range(rows):
            number = i + 3 + k
            if number > len(lines):
                raise DatasetError(f"{path}:{number}: {name} lists {count} faces but the file ends")
            values = _numbers(path, number, lines[number - 1].split(), 10, "x y w h and 6 attributes")
            x, y, w, h, invalid = values[0], values[1], values[2], values[3], values[7]
            if count and w > 0 and h > 0 and not invalid:
                boxes.append([x, y, x + w, y + h])
        photos.append(PhotoFaces(images / name, boxes))
        i += 2 + rows
    return photos


def read_wider(root: Path) -> Splits:
    """WIDER FACE: its train split trains, its val split tests (its test split has no labels)."""
    root = Path(root)
    split_dir = root / "wider_face_split"
    return Splits(read_wider_file(split_dir / "wider_face_train_bbx_gt.txt", root / "WIDER_train" / "images"),
                  read_wider_file(split_dir / "wider_face_val_bbx_gt.txt", root / "WIDER_val" / "images"),
                  about="WIDER FACE: train trains, val tests; boxes only (no landmarks), invalid faces left out")


# -------------------------------------------------------------------------------------- SCUT
def read_pts(path: Path) -> np.ndarray:
    """The 86 (x, y) points of one SCUT-FBP5500 .pts file: an int32 count, then float32 pairs.
    A file with no points (an empty file, or a count of 0, as CM152.pts) gives (0, 2)."""
    data = path.read_bytes()
    if len(data) < 4 or struct.unpack("<i", data[:4])[0] == 0:
        return np.zeros((0, 2))
    (count,) = struct.unpack("<i", data[:4])
    if count != 86 or len(data) < 4 + 8 * count:
        raise DatasetError(f"{path} holds {count} points in {len(data)} bytes; expected 86 points (692 bytes)")
    return np.frombuffer(data[4:4 + 8 * count], "<f4").reshape(count, 2).astype(np.float64)


def scut_five_points(points: np.ndarray) -> np.ndarray:
    """Left eye, right eye, nose tip, left and right mouth corners (image left first)."""
    eyes = sorted([points[58], points[59]], key=lambda p: p[0])
    mouth = sorted([points[79], points[73]], key=lambda p: p[0])
    return np.array([eyes[0], eyes[1], points[63:70].mean(axis=0), mouth[0], mouth[1]])


def points_box(points: np.ndarray) -> np.ndarray:
    return np.array([*points.min(axis=0), *points.max(axis=0)])


@dataclass(frozen=True)
class BoxCalibration:
    """From the 86 points' bounding box (cx, cy, w, h) to the `mtcnn` package's box:
    centre + (dx * w, dy * h), size (sw * w, sh * h). Fitted as medians over training photos."""

    dx: float = 0.0
    dy: float = 0.0
    sw: float = 1.0
    sh: float = 1.0

    def apply(self, box: np.ndarray) -> np.ndarray:
        x1, y1, x2, y2 = box
        w, h = x2 - x1, y2 - y1
        cx, cy = (x1 + x2) / 2 + self.dx * w, (y1 + y2) / 2 + self.dy * h
        return np.array([cx - self.sw * w / 2, cy - self.sh * h / 2, cx + self.sw * w / 2, cy + self.sh * h / 2])


def calibrate_scut_boxes(point_boxes: list[np.ndarray], package_boxes: list[np.ndarray]) -> BoxCalibration:
    """The calibration that maps the points' boxes onto the package's boxes of the same photos."""
    p, m = np.asarray(point_boxes), np.asarray(package_boxes)
    pw, ph = p[:, 2] - p[:, 0], p[:, 3] - p[:, 1]
    return BoxCalibration(
        dx=float(np.median(((m[:, 0] + m[:, 2]) - (p[:, 0] + p[:, 2])) / 2 / pw)),
        dy=float(np.median(((m[:, 1] + m[:, 3]) - (p[:, 1] + p[:, 3])) / 2 / ph)),
        sw=float(np.median((m[:, 2] - m[:, 0]) / pw)), sh=float(np.median((m[:, 3] - m[:, 1]) / ph)))


def read_scut(root: Path, calibration: BoxCalibration) -> Splits:
    """SCUT-FBP5500's official 60/40 split, one face a photo (photos without points, as CM152, are
    left out and listed in `left_out`)."""
    dataset = ScutFbp5500(root)
    (fold,) = dataset.folds("split60")
    splits = Splits(about=f"SCUT-FBP5500 v2, official 60/40 split; boxes from the 86 points, calibrated to the "
                          f"mtcnn package's convention: {calibration}")
    for part, samples in (("train", fold.train), ("test", fold.test)):
        for s in samples:
            pts_path = dataset.root / "facial landmark" / s.name.replace(".jpg", ".pts")
            points = read_pts(pts_path) if pts_path.is_file() else np.zeros((0, 2))
            if not len(points):  # CM152.pts holds none
                splits.left_out.append(s.name)
                continue
            photo = PhotoFaces(dataset.image_path(s), [calibration.apply(points_box(points))],
                               scut_five_points(points)[None])
            getattr(splits, part).append(photo)
    return splits
