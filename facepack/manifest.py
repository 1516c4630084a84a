"""manifest.json as code: the typed sections of a bundle's manifest, built by `converter.export`
and read, every field checked, by `converter verify`, `python -m web` and the tests.

docs/manifest.md describes every field. The JavaScript readers are js/src/bundle.js (schema,
version, files) and js/src/settings.js (every section), which refuse what this module refuses.
A section that facepack.spec defines (DetectorSpec, LiveSpec, FaceGate, ImagePolicy, CropRule)
is that dataclass here, so its own checks apply when a manifest is read. Both readers refuse the
same values (tests/data/manifest_refusals.json holds them to it); Python alone also refuses an
unknown field inside a section, which JavaScript does not read (a new field takes a new version).

Versions: 1 was the first; 2 added `gate`, and faces carry `refined_confidence`; 3 added each
model's `source`, by which Python finds the original model (ReferencePipeline.from_bundle). A
field that is added, removed or changes meaning takes the next version. Both readers refuse any other version
by name: an older bundle is to be exported again, a newer one needs a newer facepack.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import MISSING, dataclass, field
from pathlib import Path

from facepack import spec
from facepack.bundle import MANIFEST, BundleError, list_files, strict_json

SCHEMA = "facepack-bundle"
VERSION = 3
ROLES = ("detector", "scorer", "emotion")
# What `--quantize` can ask for, and what each model records that it got.
QUANTIZATIONS = ("source", "none", "float16", "uint8")


class ManifestError(BundleError):
    """A manifest.json that this facepack cannot read; the message names the field."""


@dataclass(frozen=True)
class Tolerance:
    """What a converted model is held to against the original Keras model, on the bundle's check
    inputs (converter verify in Node, the page's self-test in the browser)."""

    max_diff: float  # every output value: max |TF.js - Keras float32|
    score_points: float  # the scorer's expected score: max shift in points (0-100)


# Per weight storage. float32 is the contract (1e-4 on probabilities). The quantized bounds are
# about twice the worst seen on this project's models (ONet and the trained default scorer):
# float16 1.7e-4..3.3e-4 (0.028 points), uint8 2.3e-2 (0.94 points). (A first uint8 bound of 0.5
# points was measured on the untrained head, whose near-uniform output hid the shift; the
# trained scorer exceeded it.) "source" stores each tensor as the Keras model already holds it
# (on its uint8 grid, or float16-exact): nothing is lost, so it is held to float32's tolerance.
TOLERANCES: dict[str, Tolerance] = {
    "source": Tolerance(max_diff=1e-4, score_points=0.05),
    "none": Tolerance(max_diff=1e-4, score_points=0.05),
    "float16": Tolerance(max_diff=1e-3, score_points=0.1),
    "uint8": Tolerance(max_diff=5e-2, score_points=2.0),
}
# WebGL may store tensors as 16-bit textures on some GPUs; the browser self-test holds webgl to at
# least this (the Node check has no webgl).
WEBGL_MAX_DIFF = 1e-3


@dataclass(frozen=True)
class Checks:
    """`checks`: where the fixed inputs and Keras's outputs are, and what they are held to."""

    path: str  # checks/checks.json (converter.checks)
    tolerances: dict[str, Tolerance]  # per weight storage (QUANTIZATIONS): at least every one a model has
    webgl_max_diff: float
    reference: str  # what the expected outputs came from, in words

    def __post_init__(self) -> None:
        for name, tol in self.tolerances.items():
            for key in ("max_diff", "score_points"):
                if not getattr(tol, key) > 0:
                    raise ValueError(f"checks.tolerances.{name}.{key} must be above 0, not {getattr(tol, key)!r}")
        if not self.webgl_max_diff > 0:
            raise ValueError(f"checks.webgl_max_diff must be above 0, not {self.webgl_max_diff!r}")

    def tolerance(self, quantization: str) -> Tolerance:
        """What a model of this weight storage is held to."""
        return self.tolerances[quantization]


@dataclass(frozen=True)
class ModelInput:
    """A model's `input`: its tensor, and how RGB pixels become it. The detector nets take
    (pixel - pixel_offset) / pixel_divisor ("outside_graph"); the scorer and emotion nets take the
    pixels as they are, in value_range, and normalise in their graph ("in_graph")."""

    name: str
    shape: tuple[int | None, ...]  # NHWC; None: free
    channel_order: str = "RGB"
    normalization: str = "in_graph"
    pixel_offset: float | None = None
    pixel_divisor: float | None = None
    value_range: tuple[float, float] | None = None
    note: str | None = None

    def __post_init__(self) -> None:
        if self.channel_order != "RGB":
            raise ValueError(f"input.channel_order {self.channel_order!r} is not implemented (only 'RGB')")
        if len(self.shape) != 4 or self.shape[3] != 3:
            raise ValueError(f"input.shape {list(self.shape)} is not NHWC with 3 channels")
        if self.normalization == "outside_graph":
            if self.pixel_offset is None or not (self.pixel_divisor or 0) > 0:
                raise ValueError("input: outside_graph normalization needs pixel_offset and a pixel_divisor above 0")
        elif self.normalization == "in_graph":
            if tuple(self.value_range or ()) != spec.MODEL_INPUT_RANGE:
                raise ValueError(f"input.value_range {self.value_range} is not implemented "
                                 f"(only {list(spec.MODEL_INPUT_RANGE)})")
        else:
            raise ValueError(f"input.normalization {self.normalization!r} is not implemented "
                             "('outside_graph' or 'in_graph')")


@dataclass(frozen=True)
class ModelSource:
    """A model's `source`: where Python finds the original the bundle's graph was converted from,
    and its sha256, so the bundle can be held to the very model it came from
    (facepack.pipeline.ReferencePipeline.from_bundle; facepack.models.bundle_model.model_source)."""

    sha256: str  # of the weights file, or of a folder's files (facepack.provenance.source_digest)
    path: str | None = None  # what the converter was given; None: what this facepack ships or depends on

    def __post_init__(self) -> None:
        if len(self.sha256) != 64 or any(c not in "0123456789abcdef" for c in self.sha256):
            raise ValueError(f"source.sha256 {self.sha256!r} is not a sha256 in hex")


@dataclass(frozen=True)
class ScoreEntry:
    """The scorer's `score`: facepack.spec.ScoreSpec, and its rules in words."""

    num_classes: int
    points_per_rating: float
    interval: tuple[float, float]
    label_rule: str  # how a rating became a class, in words (the user's scale for own ratings)
    expected: str  # the two decodings every reader reports, in words
    argmax: str
    reference: dict | None = None  # the test ratings a score is placed among (training ship)

    def __post_init__(self) -> None:
        if self.num_classes < 2 or not self.points_per_rating > 0:
            raise ValueError(f"score needs num_classes >= 2 and points_per_rating > 0, not "
                             f"{self.num_classes} and {self.points_per_rating}")
        low, high = self.interval if len(self.interval) == 2 else (1, 0)
        if not 0 < low < high < 1:
            raise ValueError(f"score.interval {list(self.interval)} must be two quantiles 0 < low < high < 1")


@dataclass(frozen=True)
class ModelEntry:
    """`models.<name>`: one TF.js graph model of the bundle (docs/manifest.md, "A model entry")."""

    path: str  # its model.json
    role: str  # ROLES
    quantization: str  # the weight storage it got (QUANTIZATIONS)
    input: ModelInput
    outputs: tuple[str, ...]  # output names, in order
    output_nodes: dict[str, str]  # output name -> graph node: ask TF.js by node, never by position
    provenance: dict  # where the weights came from, in words and figures (the page's model card)
    source: ModelSource  # where Python finds the original model
    weight_bytes: dict[str, int] = field(default_factory=dict)  # stored bytes per dtype
    ops: dict | None = None  # {total, by_type} of the converted graph
    folding: dict | None = None  # what converter/fold.py and graph.py changed
    crop: spec.CropRule | None = None  # scorer, emotion: how their input is cut from the photo
    labels: tuple[str, ...] | None = None  # emotion: class names in output order
    score: ScoreEntry | None = None  # scorer
    trained: bool | None = None  # scorer: whether its head was trained
    warning: str | None = None  # scorer: shown by the page when it is not trained

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"role {self.role!r} is not one of {', '.join(ROLES)}")
        if self.quantization not in QUANTIZATIONS:
            raise ValueError(f"quantization {self.quantization!r} is not one of {', '.join(QUANTIZATIONS)}")
        unnamed = [name for name in self.outputs if not isinstance(self.output_nodes.get(name), str)]
        if unnamed or set(self.output_nodes) != set(self.outputs):
            raise ValueError(f"output_nodes {self.output_nodes} must name a graph node for each output "
                             f"{list(self.outputs)}, and only those")
        needs = {"scorer": ("crop", "score", "trained"), "emotion": ("crop", "labels")}.get(self.role, ())
        for name in needs:
            if getattr(self, name) is None:
                raise ValueError(f"a {self.role} model needs {name!r}")
        if self.labels is not None and (not self.labels or not all(isinstance(x, str) for x in self.labels)):
            raise ValueError(f"labels {list(self.labels)} must be a list of class names")


@dataclass(frozen=True)
class Results:
    """`results`: the results table's columns, (name, decimals; None: the value as it is)."""

    csv: tuple[tuple[str, int | None], ...]

    def __post_init__(self) -> None:
        if not self.csv:
            raise ValueError("results.csv must name at least one [name, decimals] column")
        known = [name for name, _ in spec.RESULT_CSV]
        for name, decimals in self.csv:
            if name not in known:
                raise ValueError(f"results.csv column {name!r} is not one this facepack writes ({', '.join(known)})")
            if decimals is not None and not (type(decimals) is int and 0 <= decimals <= 20):
                raise ValueError(f"results.csv column {name!r}: decimals must be null or 0-20, not {decimals!r}")


@dataclass(frozen=True)
class Manifest:
    """A bundle's manifest.json. `files` is written by `write` (every file's sha256 and size)."""

    generator: dict[str, str]  # versions of facepack, TensorFlow, Keras and tensorflowjs
    quantization: str  # what --quantize asked for
    models: dict[str, ModelEntry]
    checks: Checks
    images: spec.ImagePolicy
    results: Results
    created_utc: str = ""
    detector: spec.DetectorSpec | None = None  # with the detector nets
    live: spec.LiveSpec | None = None
    gate: spec.FaceGate | None = None
    gate_report: dict | None = None  # what detector-gate measured of `gate`, when it is that rule
    files: tuple[dict, ...] = ()
    schema: str = SCHEMA
    version: int = VERSION

    def __post_init__(self) -> None:
        if self.quantization not in QUANTIZATIONS:
            raise ValueError(f"quantization {self.quantization!r} is not one of {', '.join(QUANTIZATIONS)}")
        unheld = [m.quantization for m in self.models.values() if m.quantization not in self.checks.tolerances]
        if unheld:
            raise ValueError(f"checks.tolerances has no tolerance for {unheld[0]!r}, a model's weight storage")
        detector_nets = [name for name, m in self.models.items() if m.role == "detector"]
        if detector_nets and None in (self.detector, self.live, self.gate):
            raise ValueError("a bundle with detector nets needs the sections detector, live and gate")

    def to_json(self) -> dict:
        """The manifest as JSON-ready data; a field that does not apply (None) is left out."""
        return _plain(self)

    @classmethod
    def from_json(cls, data) -> Manifest:
        """Read a parsed manifest.json, checking every field.

        Raises:
            ManifestError: another schema or version, a missing or unknown field, or a value this
                facepack does not implement; the message names the field.
        """
        if not isinstance(data, dict):
            raise ManifestError("manifest.json is not a JSON object")
        check_schema(data.get("schema"), data.get("version"))
        return _build(cls, data, "", checks=_checks, results=_results, models=_models,
                      images=_reader(spec.ImagePolicy), detector=_reader(spec.DetectorSpec),
                      live=_reader(spec.LiveSpec), gate=_reader(spec.FaceGate))

    @classmethod
    def read(cls, bundle_dir: Path) -> Manifest:
        """Load and check `bundle_dir/manifest.json` (not the files it lists: bundle.check_files).

        Raises:
            BundleError: missing or unreadable; ManifestError: a field this facepack cannot read.
        """
        path = Path(bundle_dir) / MANIFEST
        if not path.is_file():
            raise BundleError(f"{path} does not exist: is {bundle_dir} a facepack bundle?")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise BundleError(f"{path} is not readable JSON: {err}") from err
        try:
            manifest = cls.from_json(data)
        except ManifestError as err:
            raise ManifestError(f"{path}: {err}") from None
        problems = _file_problems(manifest)
        if problems:
            raise ManifestError(f"{path}: " + "; ".join(problems))
        return manifest

    def write(self, bundle_dir: Path) -> Manifest:
        """Hash every file of `bundle_dir` into `files` and write manifest.json (strict JSON: a
        figure that is not defined, NaN, is written as null). Returns the manifest written."""
        manifest = dataclasses.replace(self, files=tuple(list_files(bundle_dir)), schema=SCHEMA, version=VERSION)
        problems = _file_problems(manifest)
        if problems:
            raise ManifestError("refusing to write an invalid manifest: " + "; ".join(problems))
        text = json.dumps(strict_json(manifest.to_json()), indent=2, allow_nan=False)
        (Path(bundle_dir) / MANIFEST).write_text(text + "\n", encoding="utf-8")
        return manifest


def check_schema(schema, version) -> None:
    """Refuse another schema, or a version other than VERSION, saying what to do about it."""
    if schema != SCHEMA:
        raise ManifestError(f"schema is {schema!r}, not {SCHEMA!r}")
    if type(version) is not int:
        raise ManifestError(f"version {version!r} is not a number")
    if version > VERSION:
        raise ManifestError(f"version {version} is newer than this facepack reads ({VERSION}): "
                            "update facepack, or export the bundle with this one")
    if version < VERSION:
        raise ManifestError(f"version {version} is older than this facepack reads ({VERSION}): "
                            "export the bundle again with python -m converter export")


def _file_problems(manifest: Manifest) -> list[str]:
    problems = []
    shapes = {"path": str, "bytes": int, "sha256": str}
    malformed = [f for f in manifest.files if not (isinstance(f, dict) and set(f) == set(shapes)
                                                    and all(type(f[k]) is t for k, t in shapes.items()))]
    if malformed:
        return [f"files entry {json.dumps(malformed[0])[:80]} is not {{path, bytes, sha256}}"]
    listed = {f["path"] for f in manifest.files}
    for name, model in manifest.models.items():
        if model.path not in listed:
            problems.append(f"model {name!r} path {model.path} is not in files")
    for entry in manifest.files:
        if entry["path"].startswith("/") or ".." in entry["path"].split("/"):
            problems.append(f"files entry {entry['path']} leaves the bundle folder")
    return problems


# Readers of the sections that hold other dataclasses: reader(JSON value, where) -> value.

def _reader(cls):
    return lambda value, where: _build(cls, value, where)


def _checks(value, where: str) -> Checks:
    def tolerances(tols, where):
        return {q: _build(Tolerance, tol, _join(where, q)) for q, tol in _object(tols, where).items()}

    return _build(Checks, value, where, tolerances=tolerances)


def _results(value, where: str) -> Results:
    def columns(cols, where):
        bad = [c for c in cols if not (isinstance(c, list) and len(c) == 2)]
        if bad:
            _fail(where, f"column {json.dumps(bad[0])} is not [name, decimals]")
        # 2.0 is 2 to JavaScript's JSON.parse, and so here
        return tuple((name, int(d) if isinstance(d, float) and d.is_integer() else d) for name, d in cols)

    return _build(Results, value, where, csv=columns)


def _models(value, where: str) -> dict[str, ModelEntry]:
    return {name: _build(ModelEntry, entry, _join(where, name), input=_reader(ModelInput),
                         crop=_reader(spec.CropRule), score=_reader(ScoreEntry), source=_reader(ModelSource))
            for name, entry in _object(value, where).items()}


def _fail(where: str, text: str):
    raise ManifestError(f"{where}: {text}" if where else text)


def _join(where: str, name) -> str:
    return f"{where}.{name}" if where else str(name)


def _object(value, where: str) -> dict:
    if not isinstance(value, dict):
        _fail(where, f"must be a JSON object, not {json.dumps(value)[:60]}")
    return value


# A field's JSON type, by its default value or its annotation's leading word (checked before the
# dataclass's own checks run, so a string where a number belongs is named, not a TypeError).
_JSON_TYPES = {"int": (int,), "float": (int, float), "str": (str,), "bool": (bool,), "dict": (dict,),
               "tuple": (list,)}


def _build(cls, data, where: str, **readers):
    """`cls` from a JSON object at `where` (a dotted path; "" for the manifest itself): every
    field known, every required one present, each of the expected JSON type; a field in
    `readers` is read by its reader(value, where)."""
    data = _object(data, where)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = [name for name in data if name not in fields]
    if unknown:
        raise ManifestError(f"{_join(where, unknown[0])} is not a field this facepack reads ({', '.join(fields)})")
    values = {}
    for name, f in fields.items():
        if name not in data:
            if f.default is MISSING and f.default_factory is MISSING:
                raise ManifestError(f"{_join(where, name)} is missing")
            continue
        value = data[name]
        if value is None and (f.default is None or str(f.type).endswith("| None")):
            values[name] = None
            continue
        kind = str(f.type).split("[")[0].split(" ")[0].split(".")[-1]
        allowed = _JSON_TYPES.get(kind)
        if allowed and (not isinstance(value, allowed) or (bool not in allowed and isinstance(value, bool))):
            raise ManifestError(f"{_join(where, name)} must be a JSON {'array' if kind == 'tuple' else kind}, "
                                f"not {json.dumps(value)[:60]}")
        if name in readers:
            value = readers[name](value, _join(where, name))
        elif isinstance(value, list):
            value = tuple(value)
        values[name] = value
    try:
        return cls(**values)
    except (TypeError, ValueError) as err:
        _fail(where, str(err))


def _plain(value):
    """A manifest dataclass as JSON-ready data: tuples become lists, None fields are left out."""
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)
                if getattr(value, f.name) is not None}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
