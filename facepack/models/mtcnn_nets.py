"""PNet, RNet and ONet exactly as the `mtcnn` package builds them: with its weights, or with weights
trained by `python -m training detector` (a run folder holding pnet.npz, rnet.npz, onet.npz)."""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path

import joblib
import numpy as np

from facepack import assets, spec
from facepack.models.bundle_model import BundleModel, ModelError, model_source

NETS = ("pnet", "rnet", "onet")
_MTCNN_OUTPUTS = {
    "pnet": ("regression", "probability"),
    "rnet": ("regression", "probability"),
    "onet": ("regression", "landmarks", "probability"),
}
_MTCNN_INPUT = {"pnet": None, "rnet": spec.DETECTOR.rnet_size, "onet": spec.DETECTOR.onet_size}
PACKAGE_SOURCE = f"mtcnn=={version('mtcnn')} (PyPI)"


def package_net(net: str):
    """An untrained PNet, RNet or ONet of the `mtcnn` package (its own Keras classes), built."""
    from mtcnn.network.onet import ONet
    from mtcnn.network.pnet import PNet
    from mtcnn.network.rnet import RNet

    model = {"pnet": PNet, "rnet": RNet, "onet": ONet}[net](name=net)
    size = _MTCNN_INPUT[net]
    model.build((None, size, size, 3))
    return model


def read_trained_weights(run_dir: Path, net: str) -> list[np.ndarray]:
    """The weights of one net of a detector run folder (`<net>.npz`: arrays '0', '1', ...), checked
    against the package's architecture."""
    path = Path(run_dir) / f"{net}.npz"
    if not path.is_file():
        raise ModelError(f"detector run folder {run_dir} has no {net}.npz (train one with `python -m training "
                         f"detector`).")
    try:
        with np.load(path) as stored:
            weights = [stored[str(i)] for i in range(len(stored.files))]
    except (OSError, ValueError, KeyError) as err:
        raise ModelError(f"{path} is not a weights file written by `python -m training detector` ({err}).") from None
    expected = [tuple(w.shape) for w in package_net(net).weights]
    if [tuple(w.shape) for w in weights] != expected:
        raise ModelError(f"{path} does not fit the mtcnn package's {net.upper()}: weight shapes "
                         f"{[tuple(w.shape) for w in weights]}, expected {expected}.")
    if not all(np.isfinite(w).all() for w in weights):
        raise ModelError(f"{path} holds NaN or infinite weights.")
    return weights


def net_weights_file(net: str, run_dir: Path | None = None) -> Path:
    """The file a net's weights are read from: the `mtcnn` package's, or a run folder's <net>.npz."""
    return assets.mtcnn_weights(net) if run_dir is None else Path(run_dir) / f"{net}.npz"


def trained_provenance(run_dir: Path) -> dict:
    """What a detector run's report says about it, for the manifest and the page's model card."""
    report_path = Path(run_dir) / "report.json"
    provenance = {"source": f"trained with `python -m training detector` ({Path(run_dir).name})",
                  "weights": f"{Path(run_dir).name}/{{pnet,rnet,onet}}.npz"}
    if report_path.is_file():
        report = json.loads(report_path.read_text())
        provenance["data"] = report.get("data", {}).get("about", "")
        provenance["training_report"] = {k: report[k] for k in ("test", "package_on_test") if k in report}
    return provenance


def load_mtcnn_net(net: str, run_dir: Path | None = None) -> BundleModel:
    """PNet, RNet or ONet as the `mtcnn` package builds them, with its weights or a run's.

    Inputs are (pixel - 127.5) / 128 (see spec.DETECTOR). Outputs, per window or patch:
    `regression` = box offsets (x1, y1, x2, y2) in window units; `probability` = [not face,
    face]; ONet's `landmarks` = 5 x then 5 y in patch units.
    """
    model = package_net(net)
    if run_dir is None:
        model.set_weights(joblib.load(assets.mtcnn_weights(net)))
        provenance = {"source": PACKAGE_SOURCE, "weights": f"mtcnn/assets/weights/{net}.lz4"}
    else:
        model.set_weights(read_trained_weights(run_dir, net))
        provenance = trained_provenance(run_dir)
    source = model_source(run_dir, net_weights_file(net, run_dir))
    size = _MTCNN_INPUT[net]
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
            "provenance": provenance,
            "source": source,
        },
    )
