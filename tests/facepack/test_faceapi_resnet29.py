"""The Keras rebuild of face-api's face-recognition ResNet against face-api.js itself."""

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from facepack import assets
from facepack.models import faceapi_resnet29 as faceres

NODE_SCRIPT = Path(__file__).with_name("faceapi_descriptor.cjs")


def test_weights_read_in_full_with_expected_shapes():
    w = faceres.read_faceapi_weights(*assets.faceapi_recognition_weights())
    assert len(w) == 117
    assert w["conv32_down/conv/filters"].shape == (7, 7, 3, 32)
    assert w["fc"].shape == (256, 128)
    # Every value but the scale layers' (folded into the convs) becomes a Keras parameter.
    unfolded = sum(v.size for k, v in w.items() if "/scale/" not in k)
    assert unfolded == faceres.build_faceapi_resnet29(with_descriptor=True, weights=w).count_params() == 5_607_488


def test_truncated_weights_file_is_refused(tmp_path):
    manifest, weights = assets.faceapi_recognition_weights()
    short = tmp_path / "short.bin"
    short.write_bytes(weights.read_bytes()[:-10])
    with pytest.raises(ValueError):
        faceres.read_faceapi_weights(manifest, short)


@pytest.mark.slow
def test_descriptor_matches_face_api_js(tmp_path):
    """Same pixels through face-api.js (tfjs cpu) and through our Keras model."""
    from PIL import Image

    photo = Image.open(assets.sample_photos()[0]).convert("RGB")
    faces = [np.asarray(photo.crop(box).resize((150, 150), Image.BILINEAR), np.float32)
             for box in [(100, 100, 400, 400), (500, 150, 750, 400)]]
    noise = np.random.default_rng(0).uniform(0, 255, (150, 150, 3)).astype(np.float32)
    x = np.stack([*faces, noise])
    x.astype("<f4").tofile(tmp_path / "x.f32")
    subprocess.run([shutil.which("node"), str(NODE_SCRIPT), str(tmp_path / "x.f32"), "3", str(tmp_path / "y.f32")],
                   check=True, capture_output=True, env={"NODE_PATH": str(assets.node_modules()),
                                                         "PATH": str(Path(shutil.which("node")).parent)})
    theirs = np.fromfile(tmp_path / "y.f32", "<f4").reshape(3, 128)
    ours = faceres.build_faceapi_resnet29(with_descriptor=True).predict(x, verbose=0)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=2e-5)
    # and the descriptors are not trivially alike: the two faces differ
    assert np.linalg.norm(theirs[0] - theirs[1]) > 0.1
    assert np.isfinite(ours).all()
