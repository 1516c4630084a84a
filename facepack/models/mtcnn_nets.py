"""PNet, RNet and ONet exactly as the `mtcnn` package builds them, with its weights."""

from __future__ import annotations

import joblib

from facepack import assets, spec
from facepack.models.bundle_model import BundleModel

_MTCNN_OUTPUTS = {
    "pnet": ("regression", "probability"),
    "rnet": ("regression", "probability"),
    "onet": ("regression", "landmarks", "probability"),
}
_MTCNN_INPUT = {"pnet": None, "rnet": spec.DETECTOR.rnet_size, "onet": spec.DETECTOR.onet_size}


def load_mtcnn_net(net: str) -> BundleModel:
    """PNet, RNet or ONet exactly as the `mtcnn` package builds them, with its weights.

    Inputs are (pixel - 127.5) / 128 (see spec.DETECTOR). Outputs, per window or patch:
    `regression` = box offsets (x1, y1, x2, y2) in window units; `probability` = [not face,
    face]; ONet's `landmarks` = 5 x then 5 y in patch units.
    """
    from mtcnn.network.onet import ONet
    from mtcnn.network.pnet import PNet
    from mtcnn.network.rnet import RNet

    cls = {"pnet": PNet, "rnet": RNet, "onet": ONet}[net]
    model = cls(name=net)
    size = _MTCNN_INPUT[net]
    model.build((None, size, size, 3))
    model.set_weights(joblib.load(assets.mtcnn_weights(net)))
    return BundleModel(
        name=net,
        model=model,
        input_shape=(None, size, size, 3),
        outputs=_MTCNN_OUTPUTS[net],
        info={
            "role": "detector",
            "input": {
                "channel_order": "RGB",
                "normalization": "outside_graph",
                "pixel_offset": spec.DETECTOR.pixel_offset,
                "pixel_divisor": spec.DETECTOR.pixel_divisor,
            },
            "provenance": {"source": "mtcnn==1.0.0 (PyPI)", "weights": f"mtcnn/assets/weights/{net}.lz4"},
        },
    )
