"""facepack/analyze.py's result record, CSV and summary, held to tests/data/results.json, which
js/test/results.test.js holds js/src/results.js to: the same records give the same text in both."""

from __future__ import annotations

import csv
import io
import json

import pytest

from facepack import analyze, spec
from tests.support.cli import ROOT

FIXTURE = json.loads((ROOT / "tests" / "data" / "results.json").read_text())


def test_the_fixture_has_the_columns_the_manifest_carries():
    assert [tuple(c) for c in FIXTURE["columns"]] == list(spec.RESULT_CSV)


def test_csv_text_is_the_fixtures_to_the_byte():
    assert analyze.csv_text(FIXTURE["records"]) == FIXTURE["csv"]


def test_the_csv_reads_back_as_the_records_say():
    rows = list(csv.DictReader(io.StringIO(FIXTURE["csv"], newline="")))
    assert len(rows) == 3 + 1 + 1  # a row per face, one for the faceless photo, one for the failed one
    assert rows[0]["photo"] == "group/two faces, one gated.jpg" and rows[4]["photo"] == 'odd, "quoted".jpg'
    assert rows[4]["error"] == FIXTURE["records"][2]["error"]  # the line break inside the quoted cell


def test_summaries_are_the_fixtures():
    assert [analyze.summary(r) for r in FIXTURE["records"]] == FIXTURE["summaries"]


@pytest.mark.parametrize(("value", "decimals", "text"), [
    (10.125, 2, "10.13"),  # an exact tie rounds away from zero, as toFixed does (format() gives 10.12)
    (-3.625, 2, "-3.63"),
    (2.5, 0, "3"),
    (0.1 + 0.2, 16, "0.3000000000000000"),  # the exact binary value, not its shortest repr
    (1.005, 2, "1.00"),  # 1.005 is 1.00499999999999989... in binary
    (-0.001, 2, "0.00"),  # no minus on a zero
    (-0.0, 0, "0"),
])
def test_fixed_rounds_as_javascripts_tofixed(value, decimals, text):
    assert analyze.fixed(value, decimals) == text


def test_a_resumed_csv_keeps_its_earlier_rows_as_they_are(tmp_path):
    path = tmp_path / "r.csv"
    analyze.write_csv(path, FIXTURE["records"][:1])
    earlier = analyze.read_csv_rows(path)
    analyze.write_csv(path, FIXTURE["records"][1:], earlier)
    assert path.read_bytes().decode() == FIXTURE["csv"]
