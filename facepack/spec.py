"""The facts Python and the browser must agree on, written once.

Everything here is written into `manifest.json` by `converter.export` (schema: facepack.bundle);
the JavaScript package (js/) reads it from there and never re-types a constant. Every field is
read by both sides: where a side implements only one value of a field (the `mtcnn` package's
NMS methods, say), that side refuses any other value with a message naming the field, so a
value here never silently means two things.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

NMS_METHODS = ("union", "min")  # IoU; intersection over the smaller box


@dataclass(frozen=True)
class DetectorSpec:
    """MTCNN settings: the defaults of the `mtcnn` package (1.0.0), which is the reference."""

    min_face_size: int = 20  # smallest face side in pixels the pyramid is built to find
    min_size: int = 12  # PNet's input window; pyramid levels stop when the image side is below it
    scale_factor: float = 0.709  # side ratio between two pyramid levels
    threshold_pnet: float = 0.6  # face probability a PNet window needs to become a proposal
    threshold_rnet: float = 0.7
    threshold_onet: float = 0.8
    nms_pnet_per_scale: float = 0.5  # overlap threshold within one pyramid level
    nms_pnet_across_scales: float = 0.7  # over all levels' survivors
    nms_rnet: float = 0.7
    nms_onet: float = 0.7
    nms_pnet_method: str = "union"  # how overlap is measured at each stage (NMS_METHODS)
    nms_rnet_method: str = "union"
    nms_onet_method: str = "min"
    # PNet's output cell (x, y) of a pyramid level stands for the window
    # [stride * x + window_start, stride * x + window_end] (the same in y), so its box regression
    # is in units of window_end - window_start = 11 pixels (mtcnn generate_bounding_box).
    pnet_stride: int = 2
    pnet_window_start: int = 1
    pnet_window_end: int = 12
    pixel_offset: float = 127.5  # every net sees (pixel - pixel_offset) / pixel_divisor
    pixel_divisor: float = 128.0
    pyramid_resize: str = "area"  # tf.image.resize(method=AREA); TF.js has none, js/src/pyramid.js builds it
    patch_resize: str = "bilinear"  # tf.image.crop_and_resize for RNet / ONet patches
    rnet_size: int = 24
    onet_size: int = 48
    # After the cascade, ONet runs this many more times, each on its own last boxes squared:
    # its landmarks then hardly depend on the box it started from. Measured on 150 SCUT-FBP5500
    # validation photos (README): with 0 / 2 / 3 more passes, the landmarks' error against the
    # annotations is 0.0369 / 0.0355 / 0.0362 of the eye distance, and their shift when the same
    # photo is halved or padded 0.0278 / 0.0150 / 0.0137.
    onet_refinements: int = 3
    # Photos whose longer side exceeds this are detected on an AREA-downscaled copy (longer
    # side = max_side, the other side rounded); boxes and landmarks are scaled back, and the
    # scorer and emotion crops are still cut from the full photo. Bounds time and memory on
    # phone photos (a face needs 20 px at this scale: 38 px in a 1920 px photo).
    max_side: int = 1024

    def __post_init__(self) -> None:
        for stage in ("pnet", "rnet", "onet"):
            method = getattr(self, f"nms_{stage}_method")
            if method not in NMS_METHODS:
                raise ValueError(f"DetectorSpec.nms_{stage}_method must be one of {NMS_METHODS}, not {method!r}")
        if self.onet_refinements < 0:
            raise ValueError(f"DetectorSpec.onet_refinements must be >= 0, not {self.onet_refinements}")
        if self.pyramid_resize != "area" or self.patch_resize != "bilinear":
            raise ValueError("DetectorSpec: only pyramid_resize='area' and patch_resize='bilinear' are implemented")
        for name in ("pnet_stride", "pnet_window_end", "min_size", "min_face_size", "rnet_size", "onet_size",
                     "max_side"):
            if not getattr(self, name) > 0:
                raise ValueError(f"DetectorSpec.{name} must be a positive integer, not {getattr(self, name)!r}")
        if not 0 <= self.pnet_window_start < self.pnet_window_end:
            raise ValueError(f"DetectorSpec.pnet_window_start {self.pnet_window_start} must be below pnet_window_end")
        if not 0 < self.scale_factor < 1 or not self.pixel_divisor > 0:
            raise ValueError(f"DetectorSpec needs 0 < scale_factor < 1 and pixel_divisor > 0, not "
                             f"{self.scale_factor} and {self.pixel_divisor}")


@dataclass(frozen=True)
class CropRule:
    """How a square face patch is cut from the photo for one model.

    `anchor="landmarks"`: the centre is the midpoint between the eyes' centre and the mouth's
    centre (MTCNN's 5 landmarks), the side is `size` times the eyes-to-mouth distance.
    `anchor="box"`: the centre is the detection box's centre, the side is `size` times the box's
    longer side. `rotate="eyes"` turns the square about its centre so that the line from the left
    eye to the right eye is level (a similarity transform: the centre and side stay as above);
    `rotate="none"` keeps it axis-aligned. The square is sampled bilinearly on an `output` x
    `output` grid whose corner samples fall on its corners, and samples outside the photo read
    `fill` (facepack/crop.py gives the exact arithmetic; the browser's crop.js follows it).
    """

    anchor: str
    size: float
    output: int
    fill: float = 0.0
    resize: str = "bilinear"
    rotate: str = "none"

    def __post_init__(self) -> None:
        if self.anchor not in ("landmarks", "box"):
            raise ValueError(f"CropRule.anchor must be 'landmarks' or 'box', not {self.anchor!r}")
        if self.rotate not in ("none", "eyes"):
            raise ValueError(f"CropRule.rotate must be 'none' or 'eyes', not {self.rotate!r}")
        if self.resize != "bilinear":
            raise ValueError(f"CropRule.resize must be 'bilinear', not {self.resize!r}")
        if not self.size > 0 or self.output < 8:
            raise ValueError(f"CropRule needs size > 0 and output >= 8, got {self}")


@dataclass(frozen=True)
class ScoreSpec:
    """How a beauty rating (1..5) maps to the scorer's 101 classes and back.

    Both sides report two decodings of the probabilities, `expected` = sum_k p_k * k points and
    `argmax` = the most probable k, and the interval and percentile of facepack.score.
    """

    num_classes: int = 101  # class k means k points, 0..100
    points_per_rating: float = 20.0  # class = int(rating * 20 + 0.5); rating = points / 20
    # The interval shown with a score: these quantiles of its 101-class distribution (facepack.score).
    interval: tuple[float, float] = (0.1, 0.9)


@dataclass(frozen=True)
class ImagePolicy:
    """How a photo becomes pixels, the same in Python (facepack.images), in the browser and in
    Node (js/src/image.js, js/src/node/photo.js). Each text field names the one rule implemented."""

    max_pixels: int = 100_000_000  # larger photos are refused with a message saying so
    orientation: str = "exif"  # EXIF orientation applied, as browsers show photos
    color_profile: str = "ignored"  # pixels as stored; embedded ICC profiles are not applied
    channels: str = "RGB"  # grey, palette, CMYK to RGB; 16-bit: high byte; alpha: over white

    def __post_init__(self) -> None:
        implemented = {"orientation": "exif", "color_profile": "ignored", "channels": "RGB"}
        for field, value in implemented.items():
            if getattr(self, field) != value:
                raise ValueError(f"ImagePolicy.{field} {getattr(self, field)!r} is not implemented (only {value!r})")


@dataclass(frozen=True)
class LiveSpec:
    """Video (live mode): the full cascade on a keyframe, tracking in between (facepack/track.py,
    js/src/live.js). A tracked face's last box, squared and grown by `margin` of its side on each
    side, goes through RNet and ONet alone; a face they lose, or every `keyframe_every`-th frame,
    brings back the full cascade. The scorer and emotion model run on every `score_every`-th
    frame, on a new track's first and on a face at the frame's edge (facepack.track.at_edge); in
    between, a track keeps its last score and emotion (the scorer is most of a tracked frame's
    time). The shown score and emotion are smoothed over the
    frames that scored them."""

    keyframe_every: int = 10  # frames between two full cascades (1: every frame)
    margin: float = 0.1  # of the square's side, added on each side before RNet
    smoothing: float = 0.5  # shown = smoothing * shown before + (1 - smoothing) * this frame's
    # Frames between two scorings of the tracks (1: every frame). Measured on the clip (README,
    # python -m bench): 3 faces, a tracked frame took 138 ms with the scorer on every face, 14 ms now.
    score_every: int = 5
    # A face whose box comes within this share of the frame's side to its border is scored on
    # every frame (facepack.track.at_edge): it is likely partly outside, and its crop changes.
    edge: float = 0.01

    def __post_init__(self) -> None:
        if (self.keyframe_every < 1 or self.score_every < 1 or not 0 <= self.margin < 1
                or not 0 <= self.smoothing < 1 or not 0 <= self.edge < 0.5):
            raise ValueError("LiveSpec needs keyframe_every >= 1, score_every >= 1, 0 <= margin < 1, "
                             f"0 <= smoothing < 1 and 0 <= edge < 0.5: {self}")


@dataclass(frozen=True)
class FaceGate:
    """Which detections are scored. The detector keeps what the `mtcnn` package keeps (ONet's face
    probability >= threshold_onet); of those, the scorer and the emotion model run only on faces
    whose cascade confidence reaches `min_confidence` and whose refined confidence (ONet's face
    probability on the face's last square, facepack.detect.Face.refined_confidence) reaches
    `min_refined_confidence`. A face below either stays in the results as the detector gave it,
    with its score and emotion null and `unscored` giving the reason (UNSCORED_REASONS).
    facepack/pipeline.py and js/src/facepack.js apply it alike."""

    # Chosen on validation photos by `python -m training detector-gate` (MODEL_CARD.md gives the
    # rates it measured on the test photos: real faces left unscored, false detections scored).
    min_confidence: float = 0.8  # the `mtcnn` package's threshold_onet: no more than the detector asks
    min_refined_confidence: float = 0.8

    def __post_init__(self) -> None:
        for name in ("min_confidence", "min_refined_confidence"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"FaceGate.{name} must be between 0 and 1, not {getattr(self, name)}")

    def reason(self, confidence: float, refined_confidence: float) -> str | None:
        """Why a face of these confidences is not scored; None: it is scored."""
        if confidence >= self.min_confidence and refined_confidence >= self.min_refined_confidence:
            return None
        return "low_confidence"


# `unscored` reason codes: "low_confidence": a confidence is below its FaceGate threshold (the face
# may not be a face).
UNSCORED_REASONS = ("low_confidence",)

DETECTOR = DetectorSpec()
GATE = FaceGate()
IMAGES = ImagePolicy()
SCORE = ScoreSpec()
LIVE = LiveSpec()

# The scorer's crop: centred between the eyes' centre and the mouth's centre, 3.2 times the
# eyes-to-mouth distance a side, turned to level the eyes (a crop from eyes and mouth beat the
# whole image by 0.02-0.03 PC; levelling the eyes keeps a tilted head's score, see MODEL_CARD.md).
# Training (python -m training) and the browser both use this rule.
SCORER_CROP = CropRule(anchor="landmarks", size=3.2, output=150, rotate="eyes")

# The emotion model's crop: fer pads the detector's square box by 10 px a side (~10% of a face).
EMOTION_CROP = CropRule(anchor="box", size=1.2, output=64, rotate="eyes")

# fer's FER2013 label order (fer.FER._get_labels).
EMOTION_LABELS: tuple[str, ...] = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")

# A results table has one row per face (python -m facepack analyze --csv, the page's CSV download):
# (column, decimals; None: written as it is). A photo without a face, or one that could not be
# read, has one row with the face columns empty. A face the gate leaves unscored (FaceGate) has
# its score and emotion columns empty and its reason in `unscored`.
RESULT_CSV: tuple[tuple[str, int | None], ...] = (
    ("photo", None), ("width", None), ("height", None), ("face", None), ("x1", 2), ("y1", 2), ("x2", 2), ("y2", 2),
    ("confidence", 5), ("score", 3), ("score_low", None), ("score_high", None), ("percentile", 2),
    ("score_argmax", None), ("emotion", None), ("emotion_probability", 4), ("unscored", None), ("error", None))

# Scorer and emotion graphs take RGB pixels as float32 in [0, 255], NHWC; any normalisation is
# inside the graph, so the browser feeds the crop as it comes from the canvas.
MODEL_INPUT_RANGE: tuple[float, float] = (0.0, 255.0)


def rating_to_class(rating: float) -> int:
    """Map a 1..5 rating to its class index: `int(rating * 20 + 0.5)`."""
    return int(rating * SCORE.points_per_rating + 0.5)


def expected_points(probs):
    """(n, num_classes) probabilities -> (n,) expected score in points: sum_k p_k * k.
    (js/src/facepack.js computes the same per face.)"""
    import numpy as np

    probs = np.asarray(probs, np.float64)
    return probs @ np.arange(probs.shape[-1], dtype=np.float64)


def as_dict(spec) -> dict:
    """A spec dataclass as plain JSON-ready data (tuples become lists)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(spec).items()}
