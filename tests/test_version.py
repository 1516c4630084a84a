"""One version number: VERSION is the source; Python reads it, and both package.json files carry it."""

from __future__ import annotations

import json
from importlib.metadata import version

import facepack
from tests.support.cli import ROOT


def test_every_place_that_names_the_version_names_the_one_in_version():
    source = (ROOT / "VERSION").read_text().strip()
    places = {
        "facepack.__version__": facepack.__version__,
        "installed package (pyproject.toml)": version("facepack"),
        "package.json": json.loads((ROOT / "package.json").read_text())["version"],
        "js/package.json": json.loads((ROOT / "js" / "package.json").read_text())["version"],
    }
    wrong = {place: v for place, v in places.items() if v != source}
    assert not wrong, (f"VERSION says {source}; these differ: {wrong}. After editing VERSION run "
                       "`npm version $(cat VERSION) --no-git-tag-version --workspaces --include-workspace-root` "
                       "and `make setup`")
