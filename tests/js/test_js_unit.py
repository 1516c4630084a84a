"""The JS package's own checks, run from pytest so the fast suite covers JavaScript too:
`node --test` on the pure stages, the fixtures they compare with being current, and the types."""

from __future__ import annotations

import importlib.util
import json
import math
import shutil
import subprocess

import pytest

from tests.support.cli import ROOT

FIXTURES = ROOT / "js" / "test" / "fixtures"


def run(*cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(list(cmd), cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_node_unit_tests_of_the_pure_stages_pass():
    out = run(shutil.which("node"), "--test", "js/test/")
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert "# fail 0" in out.stdout and "# pass 0" not in out.stdout


@pytest.mark.parametrize("name", ["boxes.json", "area.json", "crop.json"])
def test_js_fixtures_are_what_the_python_references_give_now(name):
    spec = importlib.util.spec_from_file_location("make_fixtures", FIXTURES / "make_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    committed, now = json.loads((FIXTURES / name).read_text()), json.loads(module.render(name))
    assert same_values(committed, now), (
        f"js/test/fixtures/{name} is stale: run .venv/bin/python js/test/fixtures/make_fixtures.py")


def same_values(a, b) -> bool:
    """Equal JSON, floats within 1e-12 relative: the `mtcnn` package's pyramid scales differ in the
    last bit between CPUs (0.07621293054713231 here, ...232 where the fixture was written), and a
    stale fixture differs by far more."""
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, int | float) and isinstance(b, int | float) and math.isclose(a, b, rel_tol=1e-12)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same_values(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(same_values, a, b))
    return type(a) is type(b) and a == b


def test_a_stale_fixture_would_be_caught():
    assert same_values({"x": [1, 0.07621293054713231]}, {"x": [1, 0.07621293054713232]})
    assert not same_values({"x": [1, 0.0762129305471]}, {"x": [1, 0.0762129305472]})
    assert not same_values({"x": [1, 2]}, {"x": [1, 2, 3]}) and not same_values([1], [True])


def test_the_type_declarations_compile_the_readme_examples():
    out = run(str(ROOT / "node_modules" / ".bin" / "tsc"), "-p", "js/test/types")
    assert out.returncode == 0, out.stdout + out.stderr


def test_the_example_apps_type_check_against_the_declarations():
    """examples/*: plain JS apps importing 'facepack', checked (checkJs) against js/index.d.ts;
    tsc fails too when the config finds no example to check."""
    out = run(str(ROOT / "node_modules" / ".bin" / "tsc"), "-p", "js/test/types/tsconfig.examples.json")
    assert out.returncode == 0, out.stdout + out.stderr
