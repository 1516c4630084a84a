"""Keras model -> SavedModel -> TF.js graph model (one folder: model.json + weight shards).

tfjs-layers cannot read Keras 3 topologies (docs/architecture.md), so every model goes through a
SavedModel with a `serving_default` signature and the graph-model converter. Output names
are NOT taken from `use_structured_outputs_names`: TF.js 4.22 zips its sorted
`structuredOutputKeys` with outputs in signature order, which swaps ONet's `landmarks` and
`regression`. Instead `output_nodes` reads each named output's graph node from the
signature, and every runtime asks for outputs by node.
"""

from __future__ import annotations

import collections
import contextlib
import io
import json
import os
from pathlib import Path

from converter.quantize import check_patterns, quantization_map
from facepack.models import BundleModel

INPUT_NAME = "input"
# Graph nodes that hold data or wiring rather than compute.
_NOT_OPS = {"Const", "Placeholder", "Identity", "NoOp"}


def stored_bytes(model_json: Path) -> dict[str, int]:
    """Bytes of a converted model's weights by how they are stored (float32, float16, uint8, int32)."""
    out: dict[str, int] = {}
    width = {"float32": 4, "int32": 4, "float16": 2, "uint8": 1, "uint16": 2}
    for group in json.loads(Path(model_json).read_text())["weightsManifest"]:
        for w in group["weights"]:
            dtype = w.get("quantization", {}).get("dtype", w["dtype"])
            count = 1
            for d in w["shape"]:
                count *= d
            out[dtype] = out.get(dtype, 0) + count * width[dtype]
    return out


def save_serving_model(bundle_model: BundleModel, saved_dir: Path) -> None:
    """Write `bundle_model` as a SavedModel whose signature returns {output name: tensor}."""
    import tensorflow as tf

    names = bundle_model.outputs
    spec = tf.TensorSpec(bundle_model.input_shape, tf.float32, name=INPUT_NAME)

    @tf.function(input_signature=[spec])
    def serve(x):
        return dict(zip(names, bundle_model(x), strict=True))

    module = tf.Module()
    module.model = bundle_model.model  # tracked so its variables are saved
    module.serve = serve
    tf.saved_model.save(module, str(saved_dir), signatures={"serving_default": serve})


def convert_saved_model(saved_dir: Path, out_dir: Path, quantization_map: dict | None = None) -> None:
    """Convert a SavedModel folder into a TF.js graph model in `out_dir`, its weights stored as
    `quantization_map` says ({dtype: [weight name patterns]}; None: float32)."""
    # tensorflowjs imports tensorflow_decision_forests, whose welcome banner imports IPython
    # whenever stdout is not a terminal (pytest, our redirect below). Ask it not to.
    os.environ.setdefault("TFDF_DISABLE_WELCOME_MESSAGE", "1")
    from tensorflowjs.converters import tf_saved_model_conversion_v2 as tfjs_convert

    # The converter prints grappler chatter on stdout; keep our own output readable.
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        tfjs_convert.convert_tf_saved_model(
            str(saved_dir),
            str(out_dir),
            signature_def="serving_default",
            saved_model_tags="serve",
            quantization_dtype_map=quantization_map,
            use_structured_outputs_names=False,
            strip_debug_ops=True,
        )


def output_nodes(model_json: Path, names: tuple[str, ...]) -> dict[str, str]:
    """{output name: graph node} from the converted model's signature, e.g. 'Identity_2:0'."""
    signature = json.loads(Path(model_json).read_text())["signature"]["outputs"]
    missing = [n for n in names if n not in signature]
    if missing:
        raise ValueError(f"{model_json}: signature has no output(s) {missing}")
    return {name: signature[name]["name"] for name in names}


def op_counts(model_json: Path) -> collections.Counter:
    """How many of each compute op a converted graph holds (Const, Placeholder, Identity left out)."""
    topology = json.loads(Path(model_json).read_text())["modelTopology"]
    nodes = list(topology.get("node", []))
    for fn in topology.get("library", {}).get("function", []):
        nodes += fn.get("nodeDef", [])
    return collections.Counter(n["op"] for n in nodes if n["op"] not in _NOT_OPS)


_FUSED_WITH_BIAS = {"_FusedConv2D", "FusedDepthwiseConv2dNative", "_FusedMatMul"}


def flatten_fused_biases(model_json: Path) -> int:
    """Give every fused op's bias the rank-1 shape [C] that all TF.js backends accept.

    Keras 3 adds a conv's bias as `x + reshape(bias, (1, 1, 1, C))`; the converter fuses that
    into `_FusedConv2D` with a rank-4 bias, which the WASM backend rejects ("FusedConv2D only
    supports rank-1 bias"). Only the declared shape changes: the bytes of [1, 1, 1, C] and [C]
    are the same. A bias constant also read by another op is left alone.

    Returns:
        How many bias constants were reshaped.
    """
    data = json.loads(Path(model_json).read_text())
    graph = data["modelTopology"]["node"]
    consumers = collections.Counter(i.split(":")[0].lstrip("^") for n in graph for i in n.get("input", []))
    by_name = {n["name"]: n for n in graph}
    specs = {w["name"]: w for group in data["weightsManifest"] for w in group["weights"]}
    changed = 0
    for node in graph:
        if node["op"] not in _FUSED_WITH_BIAS or len(node.get("input", [])) < 3:
            continue
        bias_name = node["input"][2].split(":")[0]
        const, weight = by_name.get(bias_name), specs.get(bias_name)
        if const is None or const["op"] != "Const" or weight is None or consumers[bias_name] != 1:
            continue
        shape = weight["shape"]
        if len(shape) > 1 and all(d == 1 for d in shape[:-1]):
            weight["shape"] = [shape[-1]]
            const["attr"]["value"]["tensor"]["tensorShape"] = {"dim": [{"size": str(shape[-1])}]}
            changed += 1
    Path(model_json).write_text(json.dumps(data))
    return changed


def export_graph_model(bundle_model: BundleModel, out_dir: Path, work_dir: Path,
                       quantize: str = "none") -> tuple[collections.Counter, int]:
    """SavedModel in `work_dir`, graph model in `out_dir`.

    Returns:
        (the graph's op counts, how many fused biases were made rank-1).
    """
    saved_dir = Path(work_dir) / f"{bundle_model.name}.savedmodel"
    with contextlib.redirect_stderr(io.StringIO()):
        save_serving_model(bundle_model, saved_dir)
    patterns = quantization_map(quantize, bundle_model.info.get("weight_storage"))
    convert_saved_model(saved_dir, Path(out_dir), patterns)
    model_json = Path(out_dir) / "model.json"
    if quantize == "source" and patterns:
        check_patterns(model_json, patterns)
    flattened = flatten_fused_biases(model_json)
    return op_counts(model_json), flattened
