"""The JS package's own checks, run from pytest so the fast suite covers JavaScript too:
`node --test` on the pure stages, the fixtures they compare with being current, and the types."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
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
    assert (FIXTURES / name).read_text() == module.render(name), (
        f"js/test/fixtures/{name} is stale: run .venv/bin/python js/test/fixtures/make_fixtures.py")


def test_the_type_declarations_compile_the_readme_examples():
    out = run(str(ROOT / "node_modules" / ".bin" / "tsc"), "-p", "js/test/types")
    assert out.returncode == 0, out.stdout + out.stderr
