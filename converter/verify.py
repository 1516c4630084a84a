"""Check a bundle: file hashes, then every model on fixed inputs in Node (tfjs cpu and wasm)
against the Keras outputs stored with it.

Each model is held to the tolerance the manifest gives its own weight storage (its
`checks.tolerances`, written from facepack.manifest.TOLERANCES): max |difference| over every
output value of every check input against Keras float32, and for the scorer the expected
score's shift in points.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from converter import checks
from facepack import assets
from facepack.bundle import BundleError, check_files
from facepack.manifest import Manifest
from facepack.spec import expected_points

BACKENDS = ("cpu", "wasm")
RUNNER = Path(__file__).with_name("node") / "run_models.mjs"

@dataclass
class CheckResult:
    model: str
    backend: str
    max_diff: float | None = None  # over all outputs and check inputs
    score_shift: float | None = None  # scorer only: max |expected score difference|, points
    ms: float = 0.0  # time to run the model on all check inputs (after load)
    error: str | None = None
    passed: bool = False


@dataclass
class VerifyReport:
    bundle: Path
    quantization: str
    tolerances: dict  # model -> {"quantization", "max_diff", "score_points"}
    sizes: dict[str, int]  # model -> bytes of its model.json + shards
    results: list[CheckResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.results) and all(r.passed for r in self.results)

    def table(self) -> str:
        """One row per model: size, and max diff per backend (the score shift for the scorer)."""
        backends = sorted({r.backend for r in self.results}, key=lambda b: BACKENDS.index(b)
                          if b in BACKENDS else 99)
        header = (f"{'model':<8} {'weights':>8} {'size':>10}  "
                  + "  ".join(f"{b + ' max diff':>18}" for b in backends) + "  tolerance")
        lines = [f"bundle {self.bundle}  (--quantize {self.quantization})", header]
        for model in self.sizes:
            cells = []
            for b in backends:
                r = next((r for r in self.results if r.model == model and r.backend == b), None)
                if r is None:
                    cells.append(f"{'-':>18}")
                elif r.error:
                    cells.append(f"{'FAILED':>18}")
                else:
                    text = f"{r.max_diff:.1e}" + (f" ({r.score_shift:.3f}pt)" if r.score_shift is not None else "")
                    cells.append(f"{text + ('' if r.passed else ' !'):>18}")
            tol = self.tolerances[model]
            limit = f"{tol['max_diff']:g}" + (f", {tol['score_points']:g}pt" if model == "scorer" else "")
            lines.append(f"{model:<8} {tol['quantization']:>8} {_size(self.sizes[model]):>10}  "
                         + "  ".join(cells) + f"  {limit}")
        for r in self.results:
            if r.error:
                lines.append(f"  {r.model} on {r.backend}: {r.error}")
            elif not r.passed:
                lines.append(f"  {r.model} on {r.backend}: over tolerance (max diff {r.max_diff:.2e}"
                             + (f", score shift {r.score_shift:.3f} points)" if r.score_shift is not None else ")"))
        lines.append("PASSED" if self.passed else "FAILED")
        return "\n".join(lines)


def _size(n: int) -> str:
    return f"{n / 1e6:.2f} MB" if n >= 1e5 else f"{n / 1e3:.1f} kB"


def run_in_node(bundle_dir: Path, manifest: Manifest, cases: list[checks.CheckCase],
                backends: tuple[str, ...], work: Path) -> list[dict]:
    """Run every check case on every backend with TF.js in Node; returns the runner's records,
    each with the outputs read back as arrays under "values"."""
    node = shutil.which("node")
    if node is None:
        raise BundleError("`node` is not on PATH; the bundle check runs TF.js in Node (install nodejs).")
    job = {"backends": list(backends), "cases": []}
    for case in cases:
        model = manifest.models[case.model]
        x = checks.model_input(case.pixels, model.input)
        x.astype("<f4").tofile(work / f"{case.id}.in.f32")
        job["cases"].append({
            "id": case.id,
            "model_json": str((Path(bundle_dir) / model.path).resolve()),
            "input": str(work / f"{case.id}.in.f32"),
            "shape": list(x.shape),
            "outputs": list(case.expected),
            "output_nodes": [model.output_nodes[name] for name in case.expected],
            "out_prefix": str(work / case.id),
        })
    (work / "job.json").write_text(json.dumps(job))
    env = {"PATH": str(Path(node).parent), "NODE_PATH": str(assets.node_modules())}
    proc = subprocess.run([node, str(RUNNER), str(work / "job.json")], capture_output=True,
                          text=True, env=env, timeout=1800)
    if proc.returncode != 0:
        raise BundleError(f"the TF.js runner failed: {proc.stderr.strip()[-2000:]}")
    records = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    by_id = {c.id: c for c in cases}
    for rec in records:
        if rec.get("ok"):
            rec["values"] = {
                name: np.fromfile(work / f"{rec['id']}.{rec['backend']}.{name}.f32", "<f4").reshape(shape)
                for name, shape in rec["shapes"].items()
            }
            for name, want in by_id[rec["id"]].expected.items():
                if tuple(rec["values"][name].shape) != want.shape:
                    rec["ok"] = False
                    rec["error"] = f"output {name} has shape {rec['values'][name].shape}, Keras gave {want.shape}"
    return records


def compare(manifest: Manifest, cases: list[checks.CheckCase], records: list[dict]) -> list[CheckResult]:
    """Fold the runner's records into one CheckResult per (model, backend)."""
    by_id = {c.id: c for c in cases}
    results: dict[tuple[str, str], CheckResult] = {}
    for rec in records:
        case = by_id[rec["id"]]
        r = results.setdefault((case.model, rec["backend"]), CheckResult(case.model, rec["backend"], max_diff=0.0))
        if not rec.get("ok"):
            r.error = r.error or rec.get("error", "failed")
            continue
        r.ms += rec["ms"]
        for name, want in case.expected.items():
            got = rec["values"][name]
            r.max_diff = max(r.max_diff, float(np.max(np.abs(got.astype(np.float64) - want))))
        if manifest.models[case.model].role == "scorer":
            got, want = rec["values"]["probabilities"], case.expected["probabilities"]
            shift = float(np.max(np.abs(expected_points(got) - expected_points(want))))
            r.score_shift = max(r.score_shift or 0.0, shift)
    for r in results.values():
        tol = manifest.checks.tolerance(manifest.models[r.model].quantization)
        r.passed = (r.error is None and r.max_diff <= tol.max_diff
                    and (r.score_shift is None or r.score_shift <= tol.score_points))
    return list(results.values())


def verify_bundle(bundle_dir: Path, backends: tuple[str, ...] = BACKENDS) -> VerifyReport:
    """Check `bundle_dir`'s files against its manifest, then its models against Keras.

    Raises:
        BundleError: the manifest is missing or invalid, or a file is missing or altered.
            (Models that run but disagree do not raise: see `VerifyReport.passed`.)
    """
    bundle_dir = Path(bundle_dir)
    manifest = Manifest.read(bundle_dir)
    problems = check_files(bundle_dir, manifest.files)
    if problems:
        raise BundleError(f"bundle {bundle_dir} fails its file check: " + "; ".join(problems))
    for b in backends:
        if b not in BACKENDS:
            raise ValueError(f"backend {b!r}: Node can check {', '.join(BACKENDS)}")
    tolerances = {name: {**dataclasses.asdict(manifest.checks.tolerance(m.quantization)),
                         "quantization": m.quantization} for name, m in manifest.models.items()}
    sizes = {name: sum(f["bytes"] for f in manifest.files
                       if f["path"].startswith(Path(m.path).parent.as_posix() + "/"))
             for name, m in manifest.models.items()}
    cases = checks.read_cases(bundle_dir)
    with tempfile.TemporaryDirectory(prefix="facepack-verify-") as tmp:
        records = run_in_node(bundle_dir, manifest, cases, backends, Path(tmp))
    report = VerifyReport(bundle_dir, manifest.quantization, tolerances, sizes, compare(manifest, cases, records))
    missing = {(c.model, b) for c in cases for b in backends} - {(r.model, r.backend) for r in report.results}
    report.results += [CheckResult(m, b, error="no result from the runner") for m, b in sorted(missing)]
    return report
