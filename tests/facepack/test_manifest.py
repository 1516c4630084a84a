"""facepack/manifest.py: the manifest as code. The default bundle's manifest reads back as it was
written, and every change in tests/data/manifest_refusals.json is refused by both readers, Python's
and the JS package's, each naming the field."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess

import pytest

from facepack import spec
from facepack.manifest import VERSION, Manifest, ManifestError
from tests.support.cli import ROOT

pytestmark = pytest.mark.slow  # the session's default bundle
TABLE = json.loads((ROOT / "tests" / "data" / "manifest_refusals.json").read_text())
REFUSALS, ACCEPTED = TABLE["refusals"], TABLE["accepted"]


@pytest.fixture(scope="module")
def written(default_bundle) -> dict:
    return json.loads((default_bundle[0] / "manifest.json").read_text())


def changed(manifest: dict, refusal: dict) -> dict:
    """`manifest` with one field set (or deleted) by a row of manifest_refusals.json."""
    copy_ = copy.deepcopy(manifest)
    *path, leaf = refusal["field"].split(".")
    parent = copy_
    for key in path:
        parent = parent[key]
    if refusal.get("delete"):
        del parent[leaf]
    else:
        parent[leaf] = refusal["value"]
    return copy_


def names(message: str, field: str) -> bool:
    """The message names the field: its whole dotted path, or the section's path and the field's own name."""
    section, _, leaf = field.rpartition(".")
    return field in message or (section in message and leaf in message)


def test_the_default_bundles_manifest_reads_back_as_it_was_written(written):
    manifest = Manifest.from_json(written)
    assert manifest.to_json() == written
    assert manifest.version == VERSION and manifest.detector == spec.DETECTOR and manifest.gate == spec.GATE
    assert manifest.models["scorer"].crop.rotate == spec.SCORER_CROP.rotate
    assert manifest.checks.tolerance(manifest.models["scorer"].quantization).score_points > 0


@pytest.mark.parametrize("refusal", REFUSALS, ids=lambda r: f"{r['field']}={r.get('value', 'deleted')}")
def test_python_refuses_each_change_naming_the_field(written, refusal):
    with pytest.raises(ManifestError) as err:
        Manifest.from_json(changed(written, refusal))
    message = str(err.value)
    assert names(message, refusal["field"]), message
    assert "\n" not in message


def javascript_errors(manifest: dict, changes: list[dict], tmp_path) -> list[dict | None]:
    """The JS readers' error for each change of `manifest` (None: accepted)."""
    job = tmp_path / "job.json"
    job.write_text(json.dumps({"manifest": manifest, "refusals": changes}))
    out = subprocess.run([shutil.which("node"), str(ROOT / "tests" / "support" / "check_manifest.mjs"), str(job)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_javascript_refuses_each_change_naming_the_field(written, tmp_path):
    errors = javascript_errors(written, REFUSALS, tmp_path)
    unrefused = [r["field"] for r, e in zip(REFUSALS, errors, strict=True) if e is None]
    assert not unrefused, f"the JS package accepted: {unrefused}"
    unnamed = [(r["field"], e["message"]) for r, e in zip(REFUSALS, errors, strict=True)
               if not names(e["message"], r["field"])]
    assert not unnamed
    assert errors[0]["name"] == "BundleError" and "newer than this facepack reads" in errors[0]["message"]


def test_a_files_list_of_the_wrong_shape_is_refused_not_a_crash(bundle_copy):
    path = bundle_copy / "manifest.json"
    manifest = json.loads(path.read_text())
    for files in (["scorer/model.json"], [{**manifest["files"][0], "bytes": "12"}]):
        path.write_text(json.dumps({**manifest, "files": files}))
        with pytest.raises(ManifestError, match=r"files entry .* is not \{path, bytes, sha256\}"):
            Manifest.read(bundle_copy)


def test_python_refuses_a_source_that_is_not_a_sha256(written):
    """`source` is read by Python only (ReferencePipeline.from_bundle); JavaScript leaves it alone."""
    with pytest.raises(ManifestError, match=r"models\.scorer\.source: source\.sha256 'abc' is not a sha256"):
        Manifest.from_json(changed(written, {"field": "models.scorer.source.sha256", "value": "abc"}))


def test_both_readers_accept_the_unchanged_manifest_and_the_same_borderline_ones(written, tmp_path):
    """The refusals above are the changes', not the readers' refusing everything; and what one
    reader takes, the other takes too."""
    accepted = [{"field": "created_utc", "value": "now"}, *ACCEPTED]
    assert javascript_errors(written, accepted, tmp_path) == [None] * len(accepted)
    for change in accepted:
        Manifest.from_json(changed(written, change))
