"""Training samples for PNet (12 px), RNet (24 px) and ONet (48 px), as the MTCNN paper makes them.

A sample is a square box of a training photo, cut and resized the way the cascade cuts its input
(crop_and_resize with coordinates divided by the photo's width and height: the package's
extract_patches), kept as uint8 pixels (the net sees (x - 127.5) / 128, `normalize`), labelled by
its IoU with the nearest true face:

    positive  IoU >= 0.65     trains the face/not-face output, the box offsets (and landmarks)
    part      0.4 <= IoU < 0.65                        the box offsets (and landmarks)
    negative  IoU < 0.3       trains the face/not-face output only
    (0.3-0.4: left out, as in the paper)

Targets follow the regression convention the cascade applies at run time, so a trained net
drops into the browser's cascade unchanged:
    RNet, ONet   box' = box + offset * (box side + 1)               (mtcnn adjust_bboxes)
                 landmark = (box side + 1) * m + box corner - 1     (adjust_landmarks)
    PNet         window [x1 + S/12, x1 + S] of a crop [x1, x1 + S], regression unit 11 S / 12
                 (generate_bounding_box: cell (x, y) is the window [2x + 1, 2x + 12])

RNet's and ONet's samples also come from the previous stages' detections on the training photos
(hard examples: what the earlier nets propose, right or wrong), `mined_boxes`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

POSITIVE, PART, NEGATIVE = 1, -1, 0
POS_IOU, PART_IOU, NEG_IOU = 0.65, 0.4, 0.3


def iou_matrix(boxes: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """(n, m) IoU of n boxes against m true boxes (x1, y1, x2, y2)."""
    boxes, truth = np.asarray(boxes, np.float64).reshape(-1, 4), np.asarray(truth, np.float64).reshape(-1, 4)
    if not len(boxes) or not len(truth):
        return np.zeros((len(boxes), len(truth)))
    x1 = np.maximum(boxes[:, None, 0], truth[None, :, 0])
    y1 = np.maximum(boxes[:, None, 1], truth[None, :, 1])
    x2 = np.minimum(boxes[:, None, 2], truth[None, :, 2])
    y2 = np.minimum(boxes[:, None, 3], truth[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = lambda b: (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])  # noqa: E731
    return inter / (area(boxes)[:, None] + area(truth)[None, :] - inter)


def label_by_iou(boxes: np.ndarray, truth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(label per box: POSITIVE, PART, NEGATIVE or None-ish -2 for the ignored band, index of the
    nearest true face)."""
    overlaps = iou_matrix(boxes, truth)
    if overlaps.shape[1] == 0:
        return np.full(len(boxes), NEGATIVE), np.zeros(len(boxes), int)
    best, which = overlaps.max(axis=1), overlaps.argmax(axis=1)
    labels = np.full(len(boxes), -2)
    labels[best >= POS_IOU] = POSITIVE
    labels[(best >= PART_IOU) & (best < POS_IOU)] = PART
    labels[best < NEG_IOU] = NEGATIVE
    return labels, which


def box_targets(boxes: np.ndarray, truth: np.ndarray, net: str) -> np.ndarray:
    """(n, 4) offsets that take each box to its true box, in the cascade's own convention."""
    boxes, truth = np.asarray(boxes, np.float64), np.asarray(truth, np.float64)
    side = boxes[:, 2] - boxes[:, 0]
    if net == "pnet":  # the 12 px window sits at [x1 + S/12, x1 + S], its unit is 11 S / 12
        window = np.stack([boxes[:, 0] + side / 12, boxes[:, 1] + side / 12, boxes[:, 2], boxes[:, 3]], axis=1)
        return (truth - window) / (11 * side / 12)[:, None]
    return (truth - boxes) / (side + 1)[:, None]


def landmark_targets(boxes: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """(n, 10) landmarks as ONet outputs them: 5 x then 5 y, in units of the box side + 1."""
    boxes, landmarks = np.asarray(boxes, np.float64), np.asarray(landmarks, np.float64)
    side = (boxes[:, 2] - boxes[:, 0] + 1)[:, None]
    xs = (landmarks[:, :, 0] - boxes[:, 0:1] + 1) / side
    ys = (landmarks[:, :, 1] - boxes[:, 1:2] + 1) / side
    return np.concatenate([xs, ys], axis=1)


@dataclass
class SampleSet:
    """Samples of one net: pixels, label, box offsets, landmarks and which of these train."""

    x: np.ndarray  # uint8 (n, s, s, 3) pixels, rounded from the bilinear cut
    label: np.ndarray  # int8: POSITIVE, PART, NEGATIVE
    box: np.ndarray  # float32 (n, 4)
    landmarks: np.ndarray  # float32 (n, 10)
    has_landmarks: np.ndarray  # bool (n,)

    def __len__(self) -> int:
        return len(self.label)

    def counts(self) -> dict[str, int]:
        return {"positive": int((self.label == POSITIVE).sum()), "part": int((self.label == PART).sum()),
                "negative": int((self.label == NEGATIVE).sum()), "with landmarks": int(self.has_landmarks.sum())}

    @staticmethod
    def concat(sets: list[SampleSet]) -> SampleSet:
        return SampleSet(*(np.concatenate([getattr(s, f) for s in sets]) for f in
                           ("x", "label", "box", "landmarks", "has_landmarks")))

    def targets(self) -> np.ndarray:
        """(n, 16) packed targets for the masked loss: [label, box(4), landmarks(10), has_landmarks]."""
        return np.concatenate([self.label[:, None].astype(np.float32), self.box, self.landmarks,
                               self.has_landmarks[:, None].astype(np.float32)], axis=1).astype(np.float32)


def normalize(pixels):
    """The nets' input from uint8 pixels, as spec.DETECTOR and the cascade make it."""
    from facepack import spec

    return (pixels - spec.DETECTOR.pixel_offset) / spec.DETECTOR.pixel_divisor


def cut_patches(image: np.ndarray, boxes: np.ndarray, size: int) -> np.ndarray:
    """(n, size, size, 3) uint8 patches cut as the cascade cuts them (bilinear, boxes in photo
    pixels; outside the photo is 0 after normalisation, i.e. pixel 127.5, as for the cascade)."""
    import tensorflow as tf

    if not len(boxes):
        return np.zeros((0, size, size, 3), np.uint8)
    height, width = image.shape[:2]
    b = np.asarray(boxes, np.float32)
    norm = np.stack([b[:, 1] / height, b[:, 0] / width, b[:, 3] / height, b[:, 2] / width], axis=1)
    centred = image.astype(np.float32) - 127.5  # crop_and_resize fills outside with 0
    patches = tf.image.crop_and_resize(centred[None], norm, np.zeros(len(b), np.int32), (size, size))
    return np.clip(np.rint(patches.numpy() + 127.5), 0, 255).astype(np.uint8)


def random_boxes(rng: np.random.Generator, truth: np.ndarray, shape: tuple[int, int], near: int, anywhere: int,
                 min_side: int = 12) -> np.ndarray:
    """Square boxes: `near` around each true face, half of them tight (side 0.9-1.1 of the face's
    longer side, centre moved by up to 0.08 of it: mostly positives), half loose (0.8-1.25, up to
    0.25: mostly parts); and `anywhere` over the photo (side 12 px to half the shorter side:
    mostly negatives)."""
    height, width = shape
    out = []
    tight = near // 2
    scale_lo = np.r_[np.full(tight, 0.9), np.full(near - tight, 0.8)]
    scale_hi = np.r_[np.full(tight, 1.1), np.full(near - tight, 1.25)]
    shift = np.r_[np.full(tight, 0.08), np.full(near - tight, 0.25)]
    for x1, y1, x2, y2 in np.asarray(truth).reshape(-1, 4):
        side = max(x2 - x1, y2 - y1)
        s = side * rng.uniform(scale_lo, scale_hi)
        cx = (x1 + x2) / 2 + side * rng.uniform(-shift, shift)
        cy = (y1 + y2) / 2 + side * rng.uniform(-shift, shift)
        out.append(np.stack([cx - s / 2, cy - s / 2, cx + s / 2, cy + s / 2], axis=1))
    top = max(min_side + 1, min(height, width) // 2)
    s = rng.uniform(min_side, top, anywhere)
    x = rng.uniform(0, np.maximum(width - s, 1))
    y = rng.uniform(0, np.maximum(height - s, 1))
    out.append(np.stack([x, y, x + s, y + s], axis=1))
    return np.concatenate(out)


def samples_from_boxes(image: np.ndarray, boxes: np.ndarray, truth: np.ndarray, truth_landmarks: np.ndarray | None,
                       net: str, size: int, rng: np.random.Generator, max_negatives: int) -> SampleSet:
    """Label `boxes` by IoU, keep at most `max_negatives` negatives, cut them, compute targets."""
    labels, which = label_by_iou(boxes, truth)
    keep = labels != -2
    negatives = np.flatnonzero(keep & (labels == NEGATIVE))
    if len(negatives) > max_negatives:
        keep[rng.choice(negatives, len(negatives) - max_negatives, replace=False)] = False
    boxes, labels, which = boxes[keep], labels[keep], which[keep]
    box = np.zeros((len(boxes), 4), np.float32)
    lm = np.zeros((len(boxes), 10), np.float32)
    has_lm = np.zeros(len(boxes), bool)
    faces = labels != NEGATIVE
    if faces.any():
        box[faces] = box_targets(boxes[faces], truth[which[faces]], net)
        if truth_landmarks is not None and net != "pnet":
            lm[faces] = landmark_targets(boxes[faces], truth_landmarks[which[faces]])
            has_lm[faces] = True
    return SampleSet(cut_patches(image, boxes, size), labels.astype(np.int8), box, lm, has_lm)


def negatives_from_photo(image: np.ndarray, size: int, count: int, rng: np.random.Generator) -> SampleSet:
    """Crops of a photo with no face at all (--negatives)."""
    boxes = random_boxes(rng, np.zeros((0, 4)), image.shape[:2], 0, count)
    return SampleSet(cut_patches(image, boxes, size), np.zeros(len(boxes), np.int8), np.zeros((len(boxes), 4),
                     np.float32), np.zeros((len(boxes), 10), np.float32), np.zeros(len(boxes), bool))
