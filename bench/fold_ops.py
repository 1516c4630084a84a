"""Op counts and WASM support of a converted ResNet-50 scorer, with and without BatchNorm folding.

An early design note said a Keras 3 ResNet graph converted with BatchNorm unfolded and failed on WASM.
This converts the same scorer four ways (fold on/off x rank-1 bias fix on/off), counts the
graph's compute ops, and runs each on tfjs cpu and wasm in Node against Keras.

    python bench/fold_ops.py [--out bench/results/fold_ops.json]

ResNet-50 weights are random here (no ImageNet download); op counts and parity do not depend
on the values.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from converter import graph  # noqa: E402
from converter.checks import CheckCase  # noqa: E402
from converter.fold import fold_batchnorm  # noqa: E402
from converter.verify import run_in_node  # noqa: E402
from facepack.models import BundleModel  # noqa: E402


def resnet50_scorer(size: int = 224) -> keras.Model:
    inputs = keras.Input((size, size, 3))
    x = keras.applications.resnet50.preprocess_input(inputs)
    backbone = keras.applications.ResNet50(include_top=False, weights=None, pooling="avg",
                                           input_shape=(size, size, 3))
    probs = keras.layers.Dense(101, activation="softmax")(backbone(x))
    model = keras.Model(inputs, probs)
    rng = np.random.default_rng(0)
    for layer in backbone.layers:  # realistic BN statistics instead of the 0/1 init
        if isinstance(layer, keras.layers.BatchNormalization):
            n = layer.moving_mean.shape[0]
            layer.moving_mean.assign(rng.normal(0, 0.1, n).astype("float32"))
            layer.moving_variance.assign(rng.uniform(0.5, 2, n).astype("float32"))
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("bench/results/fold_ops.json"))
    args = parser.parse_args()
    model = resnet50_scorer()
    pixels = np.random.default_rng(1).integers(0, 256, (2, 224, 224, 3), dtype=np.uint8)
    expected = {"probabilities": np.asarray(model(pixels.astype("float32")), np.float32)}
    bm = BundleModel("scorer", model, (None, 224, 224, 3), ("probabilities",),
                     {"input": {"normalization": "in_graph"}, "role": "scorer"})
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for fold in (False, True):
            m, report = fold_batchnorm(model) if fold else (model, None)
            for rank1 in (False, True):
                out = tmp / f"fold{int(fold)}_rank1{int(rank1)}"
                t0 = time.perf_counter()
                graph.save_serving_model(bm.with_model(m), tmp / f"{out.name}.sm")
                graph.convert_saved_model(tmp / f"{out.name}.sm", out)
                fixed = graph.flatten_fused_biases(out / "model.json") if rank1 else 0
                seconds = time.perf_counter() - t0
                ops = graph.op_counts(out / "model.json")
                nodes = graph.output_nodes(out / "model.json", ("probabilities",))
                manifest = {"models": {"scorer": {"path": "model.json", "input": {"normalization": "in_graph"},
                                                  "output_nodes": nodes}}}
                work = tmp / f"{out.name}.work"
                work.mkdir()
                records = run_in_node(out, manifest, [CheckCase("scorer-0", "scorer", pixels, expected)],
                                      ("cpu", "wasm"), work)
                want = expected["probabilities"]
                result = {r["backend"]: (float(np.abs(r["values"]["probabilities"] - want).max())
                                         if r.get("ok") else r.get("error")) for r in records}
                rows.append({"fold_batchnorm": fold, "rank1_bias_fix": rank1,
                             "batchnorm_folded": report.folded if report else 0, "biases_reshaped": fixed,
                             "ops_total": sum(ops.values()), "ops": dict(sorted(ops.items())),
                             "convert_seconds": round(seconds, 1),
                             "cpu": result.get("cpu"), "wasm": result.get("wasm")})
                r = rows[-1]
                print(f"fold={fold!s:5} rank1={rank1!s:5} ops={r['ops_total']:4}  {r['ops']}\n"
                      f"    cpu: {r['cpu']}\n    wasm: {r['wasm']}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"model": "ResNet50 (random weights) + Dense(101) softmax, 224x224",
                                    "rows": rows}, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
