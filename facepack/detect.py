"""Face detection with the `mtcnn` package (the reference the browser cascade must match).

The settings come from `facepack.spec.DETECTOR`, so Python, the manifest and the browser agree.
`Detector(run_dir)` runs the same cascade with nets trained by `python -m training detector`, and
with the number of ONet passes that run chose on its validation photos (`detector_spec`).
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facepack import spec

LANDMARKS = ("left_eye", "right_eye", "nose", "mouth_left", "mouth_right")


@dataclass(frozen=True)
class Face:
    box: np.ndarray  # (4,) x1, y1, x2, y2 in pixels, float
    landmarks: np.ndarray  # (5, 2) x, y in pixels, in LANDMARKS order
    confidence: float  # the cascade's: ONet's face probability, as the `mtcnn` package gives it
    # ONet's face probability on the face's last square, in the last refinement pass (the
    # cascade's confidence when spec.DETECTOR.onet_refinements is 0): a second look at the
    # face, centred on it, that spec.FaceGate reads with `confidence`.
    refined_confidence: float | None = None


def _mtcnn_kwargs() -> dict:
    d = spec.DETECTOR
    return {
        "min_face_size": d.min_face_size, "min_size": d.min_size, "scale_factor": d.scale_factor,
        "threshold_pnet": d.threshold_pnet, "threshold_rnet": d.threshold_rnet, "threshold_onet": d.threshold_onet,
        "nms_pnet1": d.nms_pnet_per_scale, "nms_pnet2": d.nms_pnet_across_scales,
        "nms_rnet": d.nms_rnet, "nms_onet": d.nms_onet,
    }


# What the `mtcnn` package (1.0.0) does whatever it is told: DetectorSpec fields that describe
# it must say the same, or Python and the browser would run different detectors. (Its pixels are
# (x - 127.5) / 128 in mtcnn/utils/images.py, its RNet and ONet patches 24 and 48 px in
# mtcnn/stages; the resize methods are DetectorSpec's own check. The other fields are passed to
# it (_mtcnn_kwargs) or applied here: onet_refinements, max_side.)
PACKAGE_FIXED = {"nms_pnet_method": "union", "nms_rnet_method": "union", "nms_onet_method": "min",
                 "pnet_stride": 2, "pnet_window_start": 1, "pnet_window_end": 12,
                 "pixel_offset": 127.5, "pixel_divisor": 128.0, "rnet_size": 24, "onet_size": 48}


def check_package_settings(detector: spec.DetectorSpec = spec.DETECTOR) -> None:
    """Raise ValueError for a DetectorSpec value the `mtcnn` package cannot follow."""
    for field, fixed in PACKAGE_FIXED.items():
        if getattr(detector, field) != fixed:
            raise ValueError(f"DetectorSpec.{field} is {getattr(detector, field)!r}, but the mtcnn package "
                             f"(Python's detector) always uses {fixed!r}")


# In a `python -m training detector` run folder: the cascade settings that run chose for its nets.
CASCADE_JSON = "cascade.json"


def detector_spec(run_dir: Path | None = None) -> spec.DetectorSpec:
    """The settings a detector runs with, in Python and (through the manifest) in the browser:
    spec.DETECTOR, with a trained run's own `onet_refinements` where its cascade.json names one.

    More ONet passes steady the package's landmarks, but a trained ONet can overshoot: where its
    correction is larger than the box's error, each pass multiplies a small difference (one
    runtime's rounding against another's) instead of shrinking it. So a run chooses its count on
    its validation photos (training/detector/evaluate.py choose_refinements)."""
    if run_dir is None or not (Path(run_dir) / CASCADE_JSON).is_file():
        return spec.DETECTOR
    from facepack.models import ModelError

    path = Path(run_dir) / CASCADE_JSON
    try:
        chosen = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ModelError(f"{path} is not the JSON `python -m training detector` writes ({err}).") from None
    passes = chosen.get("onet_refinements") if isinstance(chosen, dict) else None
    if type(passes) is not int or passes < 0:
        raise ModelError(f"{path}: onet_refinements must be an integer >= 0, not {passes!r}.")
    return dataclasses.replace(spec.DETECTOR, onet_refinements=passes)


class Detector:
    """The `mtcnn` package's MTCNN, run with the project's detector settings; with `run_dir`, its
    nets carry the weights of a `python -m training detector` run folder instead of the package's,
    and `spec` is that run's (detector_spec)."""

    def __init__(self, run_dir: Path | None = None) -> None:
        from mtcnn import MTCNN

        self.spec = detector_spec(run_dir)
        check_package_settings(self.spec)
        self._mtcnn = MTCNN()
        if run_dir is not None:
            from facepack.models.mtcnn_nets import NETS, read_trained_weights

            for net in NETS:
                self.use_weights(net, read_trained_weights(run_dir, net))

    def use_weights(self, net: str, weights: list) -> None:
        """Give one net ('pnet', 'rnet' or 'onet') other weights (the package's layers, in
        get_weights order): how a detector in training mines with the nets trained so far."""
        from facepack.models.mtcnn_nets import NETS

        self._mtcnn.stages[NETS.index(net)]._model.set_weights(weights)

    def detect(self, images: list[np.ndarray]) -> list[list[Face]]:
        """Faces in each RGB uint8 image (H, W, 3); images of one call must share a shape
        (the package pads a batch to its largest image, which would change the pyramid)."""
        if not images:
            return []
        if len({im.shape for im in images}) != 1:
            raise ValueError("Detector.detect: images in one call must have the same shape")
        height, width = images[0].shape[:2]
        scale_x = scale_y = 1.0
        if max(height, width) > spec.DETECTOR.max_side:
            images, (scale_y, scale_x) = _downscaled(images)
        return self._run(list(images), None, scale_x, scale_y)

    def refine(self, image: np.ndarray, boxes: list[np.ndarray]) -> list[Face]:
        """RNet and ONet alone on candidate boxes (x1, y1, x2, y2 in photo pixels), as the
        package runs them on PNet's proposals: what live mode runs between keyframes."""
        if not boxes:
            return []
        scale_x = scale_y = 1.0
        images = [image]
        if max(image.shape[:2]) > spec.DETECTOR.max_side:
            images, (scale_y, scale_x) = _downscaled(images)
        rows = np.array([[0, b[0] / scale_x, b[1] / scale_y, b[2] / scale_x, b[3] / scale_y, 1.0] for b in boxes],
                        np.float64)
        return self._run(images, rows, scale_x, scale_y)[0]

    def proposals(self, image: np.ndarray, last: str) -> np.ndarray:
        """(n, 4) boxes x1, y1, x2, y2 in photo pixels that the cascade passes on after stage `last`
        ('pnet' or 'rnet'), as squares, the way the next stage cuts them: the candidates a
        detector's next net is trained on (hard-example mining). The photo is taken as it is
        (no max_side downscale)."""
        import tensorflow as tf
        from mtcnn.utils.bboxes import resize_to_square
        from mtcnn.utils.images import load_images_batch, standarize_batch

        if last not in ("pnet", "rnet"):
            raise ValueError(f"proposals: last must be 'pnet' or 'rnet', not {last!r}")
        normalized, shapes, _ = standarize_batch(load_images_batch([image]), justification="center",
                                                 normalize=True)
        pnet, rnet, _ = self._mtcnn.stages
        settings = _mtcnn_kwargs()
        try:
            rows = pnet(images_normalized=normalized, images_oshapes=shapes, bboxes_batch=None, **settings)
            if last == "rnet" and len(rows):
                rows = rnet(images_normalized=normalized, bboxes_batch=rows, **settings)
        except tf.errors.InvalidArgumentError:  # the package's "no faces"
            return np.zeros((0, 4))
        if not len(rows):
            return np.zeros((0, 4))
        return resize_to_square(np.asarray(rows, np.float64)[:, :6])[:, 1:5]

    def _run(self, images: list[np.ndarray], candidates: np.ndarray | None, scale_x: float,
             scale_y: float) -> list[list[Face]]:
        """The package's stages as its detect_faces runs them (PNet only without `candidates`),
        then self.spec.onet_refinements more ONet passes, then its clipping to the photo."""
        import tensorflow as tf
        from mtcnn.utils.bboxes import fix_bboxes_offsets, limit_bboxes
        from mtcnn.utils.images import load_images_batch, standarize_batch

        normalized, shapes, pad = standarize_batch(load_images_batch(images), justification="center", normalize=True)
        pnet, rnet, onet = self._mtcnn.stages
        settings = _mtcnn_kwargs()
        try:
            rows = candidates if candidates is not None else pnet(
                images_normalized=normalized, images_oshapes=shapes, bboxes_batch=None, **settings)
            rows = rnet(images_normalized=normalized, bboxes_batch=rows, **settings)
            rows = onet(images_normalized=normalized, bboxes_batch=rows, **settings)
            rows = np.concatenate([rows, rows[:, 5:6]], axis=-1) if len(rows) else np.empty((0, ROW))
            for _ in range(self.spec.onet_refinements):
                rows = _refine_with_onet(onet, normalized, rows)
        except tf.errors.InvalidArgumentError:  # what the package's detect_faces reads as "no faces"
            rows = np.empty((0, ROW))
        if len(rows):
            rows = limit_bboxes(fix_bboxes_offsets(rows, pad), images_shapes=shapes, limit_landmarks=False)
        return _faces_from_rows(rows, len(images), scale_x, scale_y)


def _refine_with_onet(onet, normalized, rows: np.ndarray) -> np.ndarray:
    """One more ONet pass over the cascade's faces, each on its last box squared (as the package
    squares RNet's boxes for ONet): new box and landmarks, the same faces and confidences (no
    threshold, no NMS). js/src/onet.js refineWithONet does the same."""
    from mtcnn.utils.bboxes import adjust_bboxes, resize_to_square
    from mtcnn.utils.images import extract_patches
    from mtcnn.utils.landmarks import adjust_landmarks

    if not len(rows):
        return rows
    squares = resize_to_square(rows[:, :6])
    offsets, landmarks, probabilities = onet._model(extract_patches(normalized, squares, expected_size=(48, 48)))
    refined = adjust_bboxes(squares, offsets)
    refined[:, 5] = rows[:, 5]  # the cascade's confidence stays
    # this pass's face probability: the row's refined confidence (its last column)
    return np.concatenate([refined, adjust_landmarks(landmarks, squares), np.asarray(probabilities)[:, 1:2]], axis=-1)


ROW = 17  # the columns of a cascade row here: the `mtcnn` package's 16, then the refined confidence


def _faces_from_rows(rows, count: int, scale_x: float, scale_y: float) -> list[list[Face]]:
    faces: list[list[Face]] = [[] for _ in range(count)]
    # A row: image index, x1, y1, x2, y2, confidence, then the 5 landmarks' x, then their y
    # (mtcnn.utils.landmarks.parse_landmarks; the docstring of its to_json says otherwise), then
    # the refined confidence.
    for row in np.asarray(rows, np.float64).reshape(-1, ROW):
        landmarks = np.stack([row[6:11], row[11:16]], axis=1) * [scale_x, scale_y]
        box = row[1:5] * [scale_x, scale_y, scale_x, scale_y]
        faces[int(row[0])].append(Face(box, landmarks, float(row[5]), float(row[16])))
    return faces


def detection_size(height: int, width: int) -> tuple[int, int]:
    """(h, w) of the copy a photo is detected on: longer side spec.DETECTOR.max_side, the other
    side rounded half up (js/src/facepack.js computes the same)."""
    side = spec.DETECTOR.max_side
    if max(height, width) <= side:
        return height, width
    if height >= width:
        return side, max(1, math.floor(width * side / height + 0.5))
    return max(1, math.floor(height * side / width + 0.5)), side


def _downscaled(images: list[np.ndarray]) -> tuple[list[np.ndarray], tuple[float, float]]:
    """AREA-downscaled float copies and the (y, x) factors that map their pixels back."""
    import tensorflow as tf

    height, width = images[0].shape[:2]
    h, w = detection_size(height, width)
    small = tf.image.resize(np.stack(images).astype(np.float32), (h, w), method="area").numpy()
    return list(small), (height / h, width / w)


def main_face(faces: list[Face]) -> Face | None:
    """The face a one-face photo is about: the largest box (ties: the most confident)."""
    if not faces:
        return None
    return max(faces, key=lambda f: ((f.box[2] - f.box[0]) * (f.box[3] - f.box[1]), f.confidence))
