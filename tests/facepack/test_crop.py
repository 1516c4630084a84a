"""The crop rule's geometry: centre, side and eye-levelling angle, and the sampler itself."""

import math

import numpy as np
import pytest

from facepack import spec
from facepack.crop import Square, crop_faces, crop_square, sample_square
from facepack.detect import Face

LEVELLED = spec.CropRule(anchor="landmarks", size=3.2, output=150, rotate="eyes")
UPRIGHT = spec.CropRule(anchor="landmarks", size=3.2, output=150)


def face_at(eyes_centre, eye_gap, mouth_drop, angle_degrees) -> Face:
    """A face whose eyes are `eye_gap` apart and whose mouth is `mouth_drop` below them, turned."""
    a = math.radians(angle_degrees)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    local = np.array([[-eye_gap / 2, 0], [eye_gap / 2, 0], [0, mouth_drop / 2], [-eye_gap / 3, mouth_drop],
                      [eye_gap / 3, mouth_drop]])
    marks = local @ rot.T + eyes_centre
    return Face(np.array([*marks.min(0) - 10, *marks.max(0) + 10]), marks, 0.99)


@pytest.mark.parametrize("angle", [-30.0, -5.0, 0.0, 12.0, 30.0])
def test_the_square_keeps_centre_and_side_and_takes_the_eye_angle(angle):
    face = face_at(np.array([200.0, 150.0]), 60, 70, angle)
    square = crop_square(face, LEVELLED)
    eyes, mouth = face.landmarks[:2].mean(0), face.landmarks[3:].mean(0)
    assert (square.cx, square.cy) == pytest.approx(tuple((eyes + mouth) / 2))
    assert square.side == pytest.approx(LEVELLED.size * 70)  # rotation does not change the size
    assert math.degrees(square.angle) == pytest.approx(angle)
    unturned = crop_square(face, UPRIGHT)
    assert unturned.angle == 0 and unturned.side == square.side


def test_a_turned_photo_gives_the_same_levelled_crop():
    """Draw a pattern, turn the photo by 25 degrees, and cut the crop from the turned landmarks:
    the levelled crop equals the upright one (up to resampling)."""
    size = 301
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    centre = np.array([150.0, 150.0])

    def pattern(x, y):  # smooth, not symmetric under rotation
        return np.stack([127 + 100 * np.sin(x / 9.0), 127 + 100 * np.cos(y / 13.0),
                         127 + 60 * np.sin((x + y) / 17)], -1)

    a = math.radians(25)
    # The turned photo at (x, y) shows the upright pattern at R(-a) (p - c) + c.
    ux = math.cos(a) * (xx - centre[0]) + math.sin(a) * (yy - centre[1]) + centre[0]
    uy = -math.sin(a) * (xx - centre[0]) + math.cos(a) * (yy - centre[1]) + centre[1]
    upright, turned = pattern(xx, yy), pattern(ux, uy)
    rule = LEVELLED
    a_up = crop_faces(upright, [face_at(centre - [0, 20], 40, 45, 0)], rule)[0]
    a_turned = crop_faces(turned, [face_at(centre - [20 * math.sin(-a), 20 * math.cos(a)], 40, 45, 25)], rule)[0]
    assert np.abs(a_up - a_turned).mean() < 1.0 and np.abs(a_up - a_turned).max() < 8
    # the unlevelled crop of the turned photo is far from the upright one
    plain = crop_faces(turned, [face_at(centre - [20 * math.sin(-a), 20 * math.cos(a)], 40, 45, 25)], UPRIGHT)[0]
    assert np.abs(a_up - plain).mean() > 20


def test_corner_samples_fall_on_the_square_and_outside_reads_fill():
    image = np.arange(10 * 10 * 3, dtype=np.uint8).reshape(10, 10, 3)
    crop = sample_square(image, Square(4.5, 4.5, 9.0, 0.0), 10)
    np.testing.assert_allclose(crop, image)  # a 10x10 grid on pixel centres 0..9 is the image
    outside = sample_square(image, Square(4.5, 4.5, 20.0, 0.0), 5, fill=7.0)
    assert (outside[0] == 7).all() and (outside[:, 0] == 7).all()


def test_axis_aligned_crop_matches_tensorflow_crop_and_resize():
    import tensorflow as tf

    image = np.random.default_rng(1).integers(0, 256, (120, 90, 3), dtype=np.uint8)
    face = face_at(np.array([40.0, 50.0]), 20, 25, 0)
    rule = spec.CropRule(anchor="landmarks", size=3.2, output=64)
    s = crop_square(face, rule)
    h, w = image.shape[:2]
    box = [(s.cy - s.side / 2) / (h - 1), (s.cx - s.side / 2) / (w - 1),
           (s.cy + s.side / 2) / (h - 1), (s.cx + s.side / 2) / (w - 1)]
    theirs = tf.image.crop_and_resize(image[None].astype(np.float32), [box], [0], (64, 64)).numpy()[0]
    np.testing.assert_allclose(crop_faces(image, [face], rule)[0], theirs, atol=0.02)


def test_crop_rule_refuses_unknown_rotation():
    with pytest.raises(ValueError, match="rotate"):
        spec.CropRule(anchor="box", size=1.0, output=64, rotate="nose")
