"""bench/results/figures.md, the one page of measured figures, is what its sources give now."""

from __future__ import annotations

import json

from bench import figures
from tests.support.cli import run_module


def test_the_committed_figures_page_is_current():
    out = run_module("bench.figures", "--check", timeout=120)
    assert out.returncode == 0, out.stderr


def test_a_changed_measurement_makes_the_page_stale(tmp_path, monkeypatch):
    card = json.loads(figures.SOURCES["card"].read_text())
    card["test_metrics"]["expected"]["overall"]["pc"] = 0.5
    changed = tmp_path / "card.json"
    changed.write_text(json.dumps(card))
    monkeypatch.setitem(figures.SOURCES, "card", changed)
    assert "| overall | 0.5000 |" in figures.render()
    assert figures.main(["--check"]) == 1
