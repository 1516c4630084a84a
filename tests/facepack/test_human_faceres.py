"""The Keras rebuild of Human's faceres (HSE FaceRes MobileNet) against its own TF.js graph in Node."""

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from converter.verify import RUNNER
from facepack import assets
from facepack.models.human_faceres import FEATURES, build_human_faceres, read_graph_weights


def test_weights_read_in_full_and_every_conv_is_used():
    w = read_graph_weights(assets.human_faceres_model())
    assert w["conv1/convolution/merged_input"].shape == (3, 3, 3, 32)
    assert w["conv_pw_13/convolution/merged_input"].shape == (1, 1, 1024, 1024)
    model = build_human_faceres(weights=w)
    # Every conv value of the graph is a Keras parameter; the per-channel `mul`s are folded in,
    # and Human's age/gender heads (feats, age_pred, gender_pred) are left out.
    used = sum(v.size for k, v in w.items()
               if k.startswith("conv") and ("merged_input" in k or "depthwise_kernel" in k or k.endswith("/sub")))
    assert model.count_params() == used == 3_196_032
    assert model.output_shape == (None, FEATURES)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["cpu", "wasm"])
def test_features_match_the_tfjs_graph(tmp_path, backend):
    """Same pixels through Human's graph (TF.js in Node) and through our Keras model."""
    from PIL import Image

    photo = Image.open(assets.sample_photos()[0]).convert("RGB")
    face = np.asarray(photo.crop((100, 100, 400, 400)).resize((224, 224), Image.BILINEAR), np.float32)
    noise = np.random.default_rng(0).uniform(0, 255, (224, 224, 3)).astype(np.float32)
    x = np.stack([face, noise])
    x.astype("<f4").tofile(tmp_path / "x.f32")
    job = {"backends": [backend], "cases": [{
        "id": "faceres", "model_json": str(assets.human_faceres_model()), "input": str(tmp_path / "x.f32"),
        "shape": list(x.shape), "outputs": ["features"], "output_nodes": ["global_pooling/Mean"],
        "out_prefix": str(tmp_path / "faceres")}]}
    (tmp_path / "job.json").write_text(json.dumps(job))
    node = shutil.which("node")
    subprocess.run([node, str(RUNNER), str(tmp_path / "job.json")], check=True, capture_output=True,
                   env={"NODE_PATH": str(assets.node_modules()), "PATH": str(Path(node).parent)})
    theirs = np.fromfile(tmp_path / f"faceres.{backend}.features.f32", "<f4").reshape(2, FEATURES)
    ours = build_human_faceres().predict(x, verbose=0)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-4 * np.abs(theirs).max())
    assert np.linalg.norm(theirs[0] - theirs[1]) > 1.0  # a face and noise are far apart
