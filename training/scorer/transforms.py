"""Changes to a whole photo (before detection) and to a face crop (after it).

Photo changes are what a real photo does to a face: a tilted head, another scale, a larger
frame, recompression, a mirror image. They are applied to the whole photo, and detection and
cropping run again on the result, so the detector's own behaviour on the changed photo (its
landmark noise on a tilted face, its pyramid on a bigger frame) is part of what is measured
or trained on. The same `PhotoChange` serves training views (`random_view`) and the
robustness report's fixed conditions (`ROBUSTNESS`).

Crop changes (`jitter_square`, `degrade_crop`) are cheap and happen after detection: landmark
noise, scale and shift of the square, low resolution, JPEG, brightness and contrast, mirroring.
"""

from __future__ import annotations

import dataclasses
import io
from dataclasses import dataclass

import numpy as np
from PIL import Image

from facepack.crop import Square


@dataclass(frozen=True)
class PhotoChange:
    """A change of a whole photo. Applied in this order: mirror, scale, turn, frame, JPEG.

    Attributes:
        roll: degrees; the photo turns about its centre, counter-clockwise as seen (PIL's sense),
            on a canvas of the same size (corners that leave it are cut, new ones are black).
        scale: the photo is resized by this factor (antialiased) before it is turned.
        frame: the canvas grows to `frame` times the (scaled) photo's size, filled black, with
            the photo at (`dx`, `dy`) of the free room (0.5, 0.5 = centred).
        jpeg: re-encode as JPEG at this quality (0: no).
        mirror: flip left to right.
    """

    roll: float = 0.0
    scale: float = 1.0
    frame: float = 1.0
    dx: float = 0.5
    dy: float = 0.5
    jpeg: int = 0
    mirror: bool = False

    def apply(self, image: np.ndarray) -> np.ndarray:
        """The changed RGB uint8 photo."""
        im = Image.fromarray(image)
        if self.mirror:
            im = im.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        if self.scale != 1.0:
            size = (max(1, round(im.width * self.scale)), max(1, round(im.height * self.scale)))
            im = im.resize(size, Image.Resampling.BILINEAR)  # PIL widens the filter when shrinking
        if self.roll:
            im = im.rotate(self.roll, resample=Image.Resampling.BICUBIC, fillcolor=(0, 0, 0))
        if self.frame > 1.0:
            canvas = Image.new("RGB", (round(im.width * self.frame), round(im.height * self.frame)))
            canvas.paste(im, (round((canvas.width - im.width) * self.dx), round((canvas.height - im.height) * self.dy)))
            im = canvas
        if self.jpeg:
            buffer = io.BytesIO()
            im.save(buffer, "JPEG", quality=self.jpeg)
            im = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
        return np.asarray(im)

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


# The robustness report's conditions (python -m training robustness), applied to test photos.
ROBUSTNESS: dict[str, PhotoChange] = {
    "roll -30": PhotoChange(roll=-30),
    "roll -15": PhotoChange(roll=-15),
    "roll +15": PhotoChange(roll=15),
    "roll +30": PhotoChange(roll=30),
    "half size": PhotoChange(scale=0.5),
    "padded 2x": PhotoChange(frame=2.0),
    "JPEG q50": PhotoChange(jpeg=50),
    "mirror": PhotoChange(mirror=True),
}


@dataclass(frozen=True)
class ViewConfig:
    """How training views of a photo are drawn (each view is detected once and cached).

    Photo sizes are drawn from short lists so that views of one kind share a shape and the
    detector can run them in batches.
    """

    max_roll: float = 40.0  # degrees, uniform in [-max_roll, max_roll]
    scales: tuple[float, ...] = (0.45, 0.7, 1.0, 1.0)  # one drawn per view
    frames: tuple[float, ...] = (1.0, 1.0, 1.0, 1.6)
    jpeg: float = 0.2  # probability of re-encoding the photo, quality 30-90
    mirror: float = 0.5


def random_view(rng: np.random.Generator, config: ViewConfig) -> PhotoChange:
    return PhotoChange(
        roll=float(rng.uniform(-config.max_roll, config.max_roll)),
        scale=float(rng.choice(config.scales)),
        frame=float(rng.choice(config.frames)),
        dx=float(rng.uniform(0, 1)), dy=float(rng.uniform(0, 1)),
        jpeg=int(rng.integers(30, 91)) if rng.uniform() < config.jpeg else 0,
        mirror=bool(rng.uniform() < config.mirror),
    )


@dataclass(frozen=True)
class CropJitter:
    """Changes to a training crop after detection."""

    landmarks: float = 0.03  # s.d. of each landmark coordinate, in eyes-to-mouth distances
    scale: float = 0.05  # the square's side times U(1 - scale, 1 + scale)
    shift: float = 0.03  # the centre moves by N(0, shift * side) in x and y
    low_res: float = 0.3  # probability of shrinking the crop to 30-80% and enlarging it back
    jpeg: float = 0.3  # probability of JPEG at quality 30-90
    color: float = 0.15  # brightness and contrast each times U(1 - color, 1 + color)

    def scaled(self, factor: float) -> CropJitter:
        """The geometric jitter (landmarks, scale, shift) times `factor`; the rest as it is."""
        if factor == 1.0:
            return self
        return dataclasses.replace(self, landmarks=self.landmarks * factor, scale=self.scale * factor,
                                   shift=self.shift * factor)


def jitter_landmarks(rng: np.random.Generator, landmarks: np.ndarray, sd: float) -> np.ndarray:
    """The 5 landmarks with Gaussian noise of `sd` eyes-to-mouth distances per coordinate."""
    landmarks = np.asarray(landmarks, np.float64)
    unit = float(np.linalg.norm(landmarks[3:5].mean(0) - landmarks[0:2].mean(0)))
    return landmarks + rng.normal(0, sd * unit, landmarks.shape)


def jitter_square(rng: np.random.Generator, square: Square, jitter: CropJitter) -> Square:
    side = square.side * float(rng.uniform(1 - jitter.scale, 1 + jitter.scale))
    dx, dy = rng.normal(0, jitter.shift * square.side, 2)
    return Square(square.cx + float(dx), square.cy + float(dy), side, square.angle)


def degrade_crop(rng: np.random.Generator, crop: np.ndarray, jitter: CropJitter) -> np.ndarray:
    """A uint8 crop with random low resolution, JPEG, brightness and contrast."""
    im = Image.fromarray(crop)
    if rng.uniform() < jitter.low_res:
        factor = float(rng.uniform(0.3, 0.8))
        small = im.resize((max(8, round(im.width * factor)),) * 2, Image.Resampling.BILINEAR)
        im = small.resize(im.size, Image.Resampling.BILINEAR)
    if rng.uniform() < jitter.jpeg:
        buffer = io.BytesIO()
        im.save(buffer, "JPEG", quality=int(rng.integers(30, 91)))
        im = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    out = np.asarray(im, np.float32)
    if jitter.color:
        contrast = rng.uniform(1 - jitter.color, 1 + jitter.color)
        brightness = rng.uniform(1 - jitter.color, 1 + jitter.color)
        mean = out.mean()
        out = ((out - mean) * contrast + mean) * brightness
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)

