"""A tiny SCUT-FBP5500-layout dataset made from face-api's sample photos (never the real data)."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from facepack import assets
from facepack.detect import Detector

SPLIT60 = "split_of_60%training and 40%testing"


def write_pts(path: Path, box: np.ndarray, landmarks: np.ndarray) -> None:
    """An 86-point .pts file (int32 count, float32 x, y pairs) whose points SCUT's readers use sit on
    the given 5 landmarks (eyes 58, 59; nose 63-69; mouth corners 79 left, 73 right) and whose
    other points outline the box, as a face contour would."""
    points = np.zeros((86, 2))
    x1, y1, x2, y2 = box
    angle = np.linspace(0, 2 * np.pi, 58, endpoint=False)
    points[:58] = np.stack([(x1 + x2) / 2 + (x2 - x1) / 2 * np.cos(angle),
                            (y1 + y2) / 2 + (y2 - y1) / 2 * np.sin(angle)], axis=1)
    left_eye, right_eye, nose, mouth_left, mouth_right = landmarks
    points[58:60] = left_eye, right_eye
    points[60:63] = (left_eye + right_eye) / 2
    points[63:70] = nose
    points[70:86] = (mouth_left + mouth_right) / 2
    points[73], points[79] = mouth_right, mouth_left
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(struct.pack("<i", 86) + points.astype("<f4").tobytes())


def write_labels(path: Path, rows: list[tuple[str, float]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{name} {rating:.6f}\n" for name, rating in rows))


@pytest.fixture(scope="session")
def tiny_scut(tmp_path_factory) -> Path:
    """24 face photos (12 faces from the sample photos and their mirror images) + 1 with no face,
    rated by brightness so there is something to learn; split60 and cv5 files like the real ones;
    86-point .pts files around the package's faces (the one without a face: an empty file, as
    the real CM152.pts is)."""
    root = tmp_path_factory.mktemp("scut")
    images = root / "Images"
    images.mkdir()
    detector = Detector()
    faces = []
    for photo_path in assets.sample_photos():
        photo = np.asarray(Image.open(photo_path).convert("RGB"))
        for face in detector.detect([photo])[0]:
            x1, y1, x2, y2 = face.box
            side = 1.8 * max(x2 - x1, y2 - y1)
            cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
            box = tuple(int(v) for v in (cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2))
            crop = Image.fromarray(photo).crop(box).resize((200, 200), Image.BILINEAR)
            pair = [crop, crop.transpose(Image.FLIP_LEFT_RIGHT)]
            found = [detector.detect([np.asarray(im)])[0] for im in pair]
            # keep faces the detector finds again in both orientations: CM99 is the one no-face case
            if all(found):
                faces.append(list(zip(pair, [max(f, key=lambda face: face.confidence) for f in found], strict=True)))
    assert len(faces) >= 12, "face-api's sample photos should hold at least 12 detectable faces"
    rows = []
    groups = ("AF", "AM", "CF", "CM")
    for i, pair in enumerate(faces[:12]):
        for j, (image, face) in enumerate(pair):
            name = f"{groups[i % 4]}{2 * i + j + 1}.jpg"
            image.save(images / name, quality=92)
            write_pts(root / "facial landmark" / name.replace(".jpg", ".pts"), face.box, face.landmarks)
            brightness = np.asarray(image, np.float32).mean() / 255
            rows.append((name, round(1.0 + 4.0 * brightness, 4)))
    Image.new("RGB", (200, 200), (90, 120, 150)).save(images / "CM99.jpg")  # a photo with no face
    (root / "facial landmark" / "CM99.pts").write_bytes(b"")
    rows.append(("CM99.jpg", 3.0))
    files = root / "train_test_files"
    write_labels(files / "All_labels.txt", rows)
    write_labels(files / SPLIT60 / "train.txt", rows[:15])
    write_labels(files / SPLIT60 / "test.txt", rows[15:])
    for k in range(1, 6):
        test = rows[k - 1::5]
        write_labels(files / "5_folders_cross_validations_files" / f"cross_validation_{k}" / f"test_{k}.txt", test)
        write_labels(files / "5_folders_cross_validations_files" / f"cross_validation_{k}" / f"train_{k}.txt",
                     [r for r in rows if r not in test])
    return root
