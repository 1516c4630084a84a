"""Training on one's own ratings (training.dataset.RatedPhotos): a CSV of image and rating on the
user's scale. Bad CSVs are refused with file:line; a generated CSV on a 1-10 scale trains, ships
and exports like SCUT-FBP5500."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from tests.support.browser import open_page, serve
from tests.support.cli import run_module
from training.dataset import DatasetError, RatedPhotos, RatingScale

TEN = RatingScale(1, 10)


@pytest.fixture
def photos(tmp_path):
    """12 small images in photos/ (their content does not matter for reading the CSV)."""
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(12):
        Image.new("RGB", (8, 8), (i * 20, 0, 0)).save(folder / f"p{i}.png")
    return tmp_path


def write_csv(root, text: str):
    path = root / "ratings.csv"
    path.write_text(text)
    return path


def good_rows(n: int = 12) -> str:
    return "".join(f"photos/p{i}.png,{1 + i % 10}\n" for i in range(n))


def test_ratings_map_linearly_onto_the_101_points_and_split_by_seed(photos):
    data = RatedPhotos(write_csv(photos, "image,rating\n" + good_rows()), TEN, split_seed=3)
    samples = data.all_samples()
    assert [s.rating * 20 for s in samples[:3]] == pytest.approx([0.0, 100 / 9, 200 / 9])  # 1 -> 0, 2 -> 11.1 ...
    assert samples[9].rating * 20 == pytest.approx(100.0)  # 10 -> 100 points
    assert {s.subgroup for s in samples} == {"all"}
    (fold,) = data.folds("split60")
    assert (len(fold.train), len(fold.test)) == (7, 5)  # 40% of 12, rounded
    assert {s.name for s in fold.train} | {s.name for s in fold.test} == {s.name for s in samples}
    (again,) = RatedPhotos(photos / "ratings.csv", TEN, split_seed=3).folds("split60")
    (other,) = RatedPhotos(photos / "ratings.csv", TEN, split_seed=4).folds("split60")
    assert again.test == fold.test and other.test != fold.test
    cv = data.folds("cv5")
    assert sorted(s.name for f in cv for s in f.test) == sorted(s.name for s in samples)
    assert all(not {s.name for s in f.train} & {s.name for s in f.test} for f in cv)


def test_a_split_and_group_column_are_used_as_given(photos):
    rows = "".join(f"photos/p{i}.png,{2 + i % 8},{'test' if i < 4 else 'train'},{'a' if i % 2 else 'b'}\n"
                   for i in range(12))
    data = RatedPhotos(write_csv(photos, "image,rating,split,group\n" + rows), TEN)
    (fold,) = data.folds("split60")
    assert [s.name for s in fold.test] == [f"photos/p{i}.png" for i in range(4)]
    assert {s.subgroup for s in data.all_samples()} == {"a", "b"}
    assert data.cache_dir(photos / "cache") != photos / "cache"  # its own folder: names may clash with SCUT's


@pytest.mark.parametrize(("text", "message"), [
    ("", r"ratings.csv is empty"),
    ("file,rating\n" + good_rows(), r"ratings.csv:1: the header lacks the column 'image'"),
    ("image,rating,age\n", r"ratings.csv:1: the header has an unknown column 'age'"),
    ("image,rating\n" + good_rows(3) + "photos/p3.png,seven\n", r"ratings.csv:5: rating 'seven' is not a number"),
    ("image,rating\n" + good_rows(3) + "photos/p3.png,11\n", r"ratings.csv:5: rating 11 is outside the scale 1-10"),
    ("image,rating\n" + good_rows(3) + "photos/p3.png,nan\n", r"ratings.csv:5: rating nan is outside the scale"),
    ("image,rating\n" + good_rows(3) + "photos/p1.png,4\n", r"ratings.csv:5: photos/p1.png is listed twice "
                                                            r"\(first on line 3\)"),
    ("image,rating\n" + good_rows(3) + "photos/p3.png\n", r"ratings.csv:5: expected 2 fields"),
    ("image,rating,split\n" + "".join(f"photos/p{i}.png,5,val\n" for i in range(12)),
     r"ratings.csv:2: split must be train or test, not 'val'"),
    ("image,rating,split\n" + "".join(f"photos/p{i}.png,5,{'train' if i else ''}\n" for i in range(12)),
     r"ratings.csv:2: split must be train or test, not ''"),  # a split column: every row gives one
    ("image,rating\n" + good_rows(11) + "photos/missing.png,5\n", r"ratings.csv:13: image photos/missing.png not "
                                                                  r"found at"),
    ("image,rating\n" + good_rows(5), r"has 5 rated photos; training needs at least 10"),
    ("image,rating,split\n" + "".join(f"photos/p{i}.png,5,train\n" for i in range(12)),
     r"the split has 12 training and 0 test photos"),
])
def test_a_malformed_csv_is_refused_with_its_file_and_line(photos, text, message):
    with pytest.raises(DatasetError, match=message):
        RatedPhotos(write_csv(photos, text), TEN).folds("split60")


@pytest.mark.parametrize("text", ["10", "5-1", "a-b", "1-2-3"])
def test_a_malformed_scale_is_refused(text):
    with pytest.raises(ValueError, match="--scale"):
        RatingScale.parse(text)


@pytest.mark.slow
def test_the_cli_refuses_ratings_without_a_scale_and_names_the_line(photos):
    csv = write_csv(photos, "image,rating\n" + good_rows(3) + "photos/p3.png,12\n")
    out = run_module("training", "crop", "--ratings", csv)
    assert out.returncode == 2 and "--ratings needs --scale" in out.stderr
    out = run_module("training", "crop", "--ratings", csv, "--scale", "1-10")
    assert out.returncode == 2 and "ratings.csv:5: rating 12 is outside the scale 1-10" in out.stderr


@pytest.mark.slow
def test_a_generated_1_to_10_csv_trains_ships_and_exports(tiny_scut, tmp_path, browser):
    """tiny_scut's photos with their ratings moved onto 1-10 (r10 = 1 + (r5 - 1) * 9 / 4, so the
    points are the same faces' order), its own split column; fit, evaluate, ship --out, export,
    and the page on that bundle: its model card and each face's percentile name the user's data
    and scale, not SCUT-FBP5500's."""
    from training.dataset import ScutFbp5500

    scut = ScutFbp5500(tiny_scut)
    (fold,) = scut.folds("split60")
    test = {s.name for s in fold.test}
    lines = ["image,rating,split"]
    for s in scut.all_samples():
        lines.append(f"{scut.image_path(s)},{1 + (s.rating - 1) * 9 / 4:.4f},{'test' if s.name in test else 'train'}")
    csv = write_csv(tmp_path, "\n".join(lines) + "\n")
    own = ["--ratings", csv, "--scale", "1-10", "--cache", tmp_path / "cache"]
    fast = ["--stage1-epochs", "4", "--stage2-epochs", "2", "--patience", "10", "--batch-size", "8",
            "--val-fraction", "0.2", "--views", "0"]
    out = run_module("training", "fit", *own, *fast, "--runs", tmp_path / "runs", "--name", "own")
    assert out.returncode == 0, out.stderr
    run_dir = tmp_path / "runs" / "own"
    report = json.loads((run_dir / "report.json").read_text())
    assert report["scale"] == {"low": 1.0, "high": 10.0} and report["data"].startswith("own ratings: ")
    fold_report = report["folds"][0]
    assert fold_report["n_test"] == 9 and fold_report["no_face"] == [str(tiny_scut / "Images" / "CM99.jpg")]
    assert set(fold_report["metrics"]["expected"]) == {"overall", "all"}
    mae = fold_report["metrics"]["expected"]["overall"]["mae"]
    out = run_module("training", "evaluate", run_dir / "scorer.keras", *own)
    assert out.returncode == 0, out.stderr
    assert "(1-10 scale)" in out.stdout and f"MAE {mae * 9 / 5:.4f}" in out.stdout  # on the user's scale

    refused = run_module("training", "ship", run_dir, *own)
    assert refused.returncode == 2 and "--out DIR" in refused.stderr  # never over the embedded default
    shipped = tmp_path / "shipped"
    out = run_module("training", "ship", run_dir, *own, "--out", shipped, "--no-mirror")
    assert out.returncode == 0, out.stderr
    card = json.loads((shipped / "card.json").read_text())
    assert card["scale"] == {"low": 1.0, "high": 10.0} and card["data"] == report["data"]
    assert "1 -> 0, 10 -> 100" in card["reference"]["about"]
    assert len(card["reference"]["points"]) == 10  # every test photo's rating, the faceless one too
    want = sorted(round((1 + (s.rating - 1) * 9 / 4 - 1) / 9 * 100, 2) for s in fold.test)
    np.testing.assert_allclose(card["reference"]["points"], want, atol=0.01)

    bundle = tmp_path / "bundle"
    out = run_module("converter", "export", "--out", bundle, "--scorer", shipped)  # with the default detector, fer
    assert out.returncode == 0, out.stderr
    manifest = json.loads((bundle / "manifest.json").read_text())
    scorer = manifest["models"]["scorer"]
    assert scorer["provenance"]["trained_layers"]["data"] == report["data"]
    assert scorer["provenance"]["training_report"]["scale"] == {"low": 1.0, "high": 10.0}
    assert scorer["score"]["label_rule"] == ("class = int((rating - 1) / (10 - 1) * 100 + 0.5); "
                                            "rating 1..10, points 0..100")
    out = run_module("converter", "verify", bundle)
    assert out.returncode == 0, out.stderr

    url, stop = serve(bundle, quiet=True)
    try:
        with open_page(browser, url, "/?backend=wasm&worker=0") as watch:
            card = watch.page.text_content("#card")
            assert "its training data's 1-10 scale" in card and report["data"] in card, card
            assert "SCUT-FBP5500" not in card, card
            photo = tiny_scut / "Images" / f"{fold.test[0].name}"
            watch.page.set_input_files("#files", files=[str(photo)])
            watch.page.locator("#results .result .face").first.wait_for(timeout=120_000)
            percentile = watch.page.locator("#results .percentile").first.text_content()
            assert "the ratings this scorer was trained on (1-10 scale)" in percentile, percentile
            assert not watch.errors, watch.errors
    finally:
        stop()
