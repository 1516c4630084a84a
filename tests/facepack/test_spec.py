import pytest

from facepack import spec


@pytest.mark.parametrize("rating, cls", [(1.0, 20), (1.02, 20), (2.5, 50), (3.025, 61), (4.75, 95), (5.0, 100)])
def test_rating_to_class_is_int_rating_times_20_plus_half(rating, cls):
    assert spec.rating_to_class(rating) == cls


def test_scut_labels_use_classes_20_to_95():
    # Labels are multiples of 1/60 in [1.02, 4.75] (the dataset's label files).
    classes = {spec.rating_to_class(k / 60) for k in range(61, 286)}
    assert min(classes) == 20 and max(classes) == 95


def test_crop_rule_rejects_unknown_anchor_and_bad_size():
    with pytest.raises(ValueError, match="anchor"):
        spec.CropRule(anchor="nose", size=1.0, output=64)
    with pytest.raises(ValueError, match="size > 0"):
        spec.CropRule(anchor="box", size=0.0, output=64)


def test_as_dict_is_json_ready():
    d = spec.as_dict(spec.DETECTOR)
    assert d["scale_factor"] == 0.709 and d["min_face_size"] == 20
    assert all(not isinstance(v, tuple) for v in d.values())


def test_detector_landmarks_are_in_named_order_on_a_real_photo():
    """Eyes above the nose above the mouth; left (image left) before right: guards the row layout."""
    import numpy as np
    from PIL import Image

    from facepack import assets
    from facepack.detect import LANDMARKS, Detector

    assert LANDMARKS == ("left_eye", "right_eye", "nose", "mouth_left", "mouth_right")
    photo = np.asarray(Image.open(assets.sample_photos()[0]).convert("RGB"))
    faces = Detector().detect([photo])[0]
    assert len(faces) >= 2
    for face in faces:
        (lex, ley), (rex, rey), (nx, ny), (mlx, mly), (mrx, mry) = face.landmarks
        assert lex < rex and mlx < mrx
        assert (ley + rey) / 2 < ny < (mly + mry) / 2  # (a tilted head may put one corner above the nose)
        x1, y1, x2, y2 = face.box
        assert (x1 <= face.landmarks[:, 0]).all() and (face.landmarks[:, 0] <= x2).all()


def test_every_setting_a_side_cannot_follow_is_refused_by_name():
    import dataclasses

    from facepack.detect import check_package_settings

    with pytest.raises(ValueError, match="nms_rnet_method must be one of"):
        spec.DetectorSpec(nms_rnet_method="greedy")
    with pytest.raises(ValueError, match="pyramid_resize='area'"):
        spec.DetectorSpec(pyramid_resize="bilinear")
    with pytest.raises(ValueError, match="ImagePolicy.orientation 'none' is not implemented"):
        spec.ImagePolicy(orientation="none")
    # Values JavaScript could follow but the mtcnn package (Python's detector) cannot.
    for field, value in (("nms_onet_method", "union"), ("pnet_stride", 4), ("pnet_window_end", 13),
                         ("pixel_offset", 128.0), ("pixel_divisor", 127.5), ("rnet_size", 32), ("onet_size", 64)):
        with pytest.raises(ValueError, match=f"DetectorSpec.{field} is .* the mtcnn package"):
            check_package_settings(dataclasses.replace(spec.DETECTOR, **{field: value}))
    check_package_settings()  # the shipped settings are the package's


def test_the_gate_scores_a_face_only_when_both_confidences_reach_their_thresholds():
    gate = spec.FaceGate(min_confidence=0.9, min_refined_confidence=0.5)
    assert gate.reason(0.9, 0.5) is None  # thresholds are inclusive
    assert gate.reason(0.95, 0.49) == "low_confidence"
    assert gate.reason(0.89, 0.99) == "low_confidence"
    assert spec.GATE.reason(1.0, 1.0) is None and set(spec.UNSCORED_REASONS) == {"low_confidence"}
    with pytest.raises(ValueError, match="FaceGate.min_refined_confidence must be between 0 and 1"):
        spec.FaceGate(min_refined_confidence=1.2)
