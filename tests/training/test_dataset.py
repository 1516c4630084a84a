import shutil

import numpy as np
import pytest

from facepack import spec
from training.dataset import DatasetError, ScutFbp5500, read_labels
from training.scorer import metrics


def test_reads_labels_splits_and_subgroups(tiny_scut):
    ds = ScutFbp5500(tiny_scut)
    samples = ds.all_samples()
    assert len(samples) == 25 and samples[0].name == "AF1.jpg" and samples[0].subgroup == "AF"
    (split,) = ds.folds("split60")
    assert (len(split.train), len(split.test)) == (15, 10)
    cv = ds.folds("cv5")
    assert [f.name for f in cv] == [f"cv5-{k}" for k in range(1, 6)]
    assert all(not set(f.train) & set(f.test) for f in cv)


@pytest.mark.parametrize("line, message", [
    ("AF1.jpg", "expected '<image> <rating>'"),
    ("AF1.jpg three", "rating 'three' is not a number"),
    ("AF1.jpg 7.5", "rating 7.5 is outside 1..5"),
    ("XY1.jpg 2.5", "'XY1.jpg' is not an SCUT-FBP5500 image name"),
])
def test_malformed_label_names_file_and_line(tmp_path, line, message):
    path = tmp_path / "labels.txt"
    path.write_text(f"AF2.jpg 2.5\n{line}\n")
    with pytest.raises(DatasetError, match=f"labels.txt:2: {message}"):
        read_labels(path)


def test_empty_split_and_missing_file_are_refused(tmp_path):
    (tmp_path / "empty.txt").write_text("\n")
    with pytest.raises(DatasetError, match="has no samples"):
        read_labels(tmp_path / "empty.txt")
    with pytest.raises(DatasetError, match="does not exist"):
        read_labels(tmp_path / "nope.txt")


def test_missing_image_is_named(tiny_scut, tmp_path):
    copy = tmp_path / "scut"
    shutil.copytree(tiny_scut, copy)
    (copy / "Images" / "AM3.jpg").unlink()
    with pytest.raises(DatasetError, match="lists images missing from .*: AM3.jpg"):
        ScutFbp5500(copy).all_samples()


def test_not_a_dataset_folder(tmp_path):
    with pytest.raises(DatasetError, match="needs Images/ and train_test_files/"):
        ScutFbp5500(tmp_path)


def test_labels_one_hot_and_smoothed():
    ratings = np.array([1.02, 2.5, 4.75])
    hot = metrics.one_hot(ratings)
    assert hot.argmax(axis=1).tolist() == [20, 50, 95] == [spec.rating_to_class(r) for r in ratings]
    assert np.allclose(hot.sum(axis=1), 1)
    soft = metrics.one_hot(ratings, sigma=2.0)
    assert np.allclose(soft.sum(axis=1), 1) and soft.argmax(axis=1).tolist() == [20, 50, 95]
    assert (soft > 0.01).sum(axis=1).min() > 3  # spread over neighbouring classes


def test_both_decodings():
    probs = np.zeros((2, 101))
    probs[0, 60] = 1.0
    probs[1, [40, 60]] = [0.25, 0.75]
    decoded = metrics.decode(probs)
    assert decoded["argmax"].tolist() == [3.0, 3.0]
    assert np.allclose(decoded["expected"], [3.0, (0.25 * 40 + 0.75 * 60) / 20])


def test_metrics_match_their_definitions():
    true = np.array([1.0, 2.0, 3.0, 4.0])
    pred = np.array([1.5, 2.0, 2.5, 4.0])
    m = metrics.regression_metrics(pred, true)
    assert m["mae"] == pytest.approx(0.25) and m["rmse"] == pytest.approx(np.sqrt(0.125))
    assert m["pc"] == pytest.approx(np.corrcoef(pred, true)[0, 1])
