"""Labels from a CSV make a classification task with the column's class names; a sequence column
keeps every window inside one recording and sends whole recordings to training, validation or test."""

import numpy as np
import pytest

from core.datasets import CLASSIFICATION, build_dataset
from core.errors import DatasetError
from core.specs import DatasetSpec

ACTIVITIES = ("idle", "walking", "running")


def build(path, mode="many_to_one", validation_split=0.25, test_split=0.0, **params):
    params = {"path": str(path), **params}
    return build_dataset(DatasetSpec(task="csv", params=params, validation_split=validation_split,
                                     test_split=test_split), mode)


def labelled(tmp_path, rows=60):
    """Row i: x = i, label by blocks of five rows (idle, walking, running, idle, ...)."""
    lines = ["t,x,activity"] + [f"{i},{i},{ACTIVITIES[(i // 5) % 3]}" for i in range(rows)]
    path = tmp_path / "labels.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def label_of(row: int) -> str:
    return ACTIVITIES[(row // 5) % 3]


def first_rows(data, split="train"):
    x, _ = data.split(split)
    return np.rint(data.info.denormalize_x(np.asarray(x))[:, 0, 0]).astype(int)


def test_a_text_column_makes_a_classification_task_with_its_class_names(tmp_path):
    data = build(labelled(tmp_path), window=4, horizon=0, target_column="activity")
    info = data.info
    assert info.kind == CLASSIFICATION and info.class_names == ["idle", "running", "walking"]
    assert info.feature_names == ["x"] and info.output_shape == () and data.y_train.dtype == np.int32
    # Many-to-one: the label at the window's last row (horizon 0) ...
    for start, label in zip(first_rows(data), data.y_train):
        assert info.class_names[label] == label_of(start + 3)
    # ... or horizon rows later.
    later = build(labelled(tmp_path), window=4, horizon=2, target_column="activity")
    for start, label in zip(first_rows(later), later.y_train):
        assert later.info.class_names[label] == label_of(start + 3 + 2)
    assert data.describe_sample(0, "train") == "4 rows; last row: x 3 -> idle"
    assert "Classes in the training windows: idle 12 (29%), running 15 (36%), walking 15 (36%)." in info.extra["notes"]


def test_many_to_many_gives_a_label_per_row(tmp_path):
    data = build(labelled(tmp_path), mode="many_to_many", window=6, horizon=0, target_column="activity")
    assert data.y_train.shape[1:] == (6,) and data.info.output_shape == (6,)
    names = data.info.class_names
    for start, labels in zip(first_rows(data), np.asarray(data.y_train)):
        assert [names[i] for i in labels] == [label_of(start + k) for k in range(6)]


def test_integer_codes_are_classes_when_the_user_says_so(tmp_path):
    path = tmp_path / "codes.csv"
    path.write_text("t,x,code\n" + "".join(f"{i},{i % 7},{(i // 4) % 3 * 5}\n" for i in range(40)))
    assert build(path, window=3, target_column="code").info.kind == "regression"
    data = build(path, window=3, target_column="code", target_type="classes", horizon=0)
    assert data.info.class_names == ["0", "5", "10"]  # in numeric order
    assert data.info.feature_names == ["x"]  # the codes are not also an input


def test_text_that_is_no_label_is_refused_with_the_reason(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("t,x,comment\n" + "".join(f"{i},{i},note number {i}\n" for i in range(40)))
    with pytest.raises(DatasetError, match="'comment' .*holds text .*40 different values in 40 rows, too many to be "
                                           "class labels.*target_type"):
        build(path, window=3, target_column="comment")
    with pytest.raises(DatasetError, match="answer would be in the question"):
        build(labelled(tmp_path), window=3, target_column="x", horizon=0)


def recordings(tmp_path, sizes=(30, 25, 40, 20, 35, 30)):
    """Recording r holds rows x = 1000 r + step; interleaved as a logger would write two at once."""
    rows = []
    for r, size in enumerate(sizes):
        rows += [(f"rec{r}", 1000 * r + k, ACTIVITIES[r % 3]) for k in range(size)]
    order = sorted(range(len(rows)), key=lambda i: (rows[i][1] % 1000, rows[i][1] // 1000 % 2))
    lines = ["subject,x,activity"] + [f"{rows[i][0]},{rows[i][1]},{rows[i][2]}" for i in order]
    path = tmp_path / "recordings.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def recordings_of(data, split):
    x, _ = data.split(split)
    raw = np.rint(data.info.denormalize_x(np.asarray(x))[..., 0]).astype(int)
    ids = raw // 1000
    assert (ids == ids[:, :1]).all(), "a window spans two recordings"
    steps = raw % 1000
    assert (np.diff(steps, axis=1) == 1).all(), "a window skips rows"
    return set(ids[:, 0].tolist())


def test_windows_never_cross_recordings_and_the_split_is_by_recording(tmp_path):
    data = build(recordings(tmp_path), window=8, horizon=0, target_column="activity", sequence_column="subject")
    train, val = recordings_of(data, "train"), recordings_of(data, "val")
    assert train and val and not train & val
    assert train | val == {0, 1, 2, 3, 4, 5}
    assert "Recordings: 6, 4 for training, 2 for validation" in " ".join(data.info.extra["notes"])
    # Normalisation comes from the training recordings only.
    assert data.info.normalization["x_mean"][0] < 2500
    # With a test split, three disjoint sets of recordings.
    data = build(recordings(tmp_path), window=8, horizon=0, target_column="activity", sequence_column="subject",
                 validation_split=0.2, test_split=0.2)
    parts = [recordings_of(data, split) for split in ("train", "val", "test")]
    assert all(parts) and not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])
    assert data.num_test == len(data.x_test) > 0


def test_recordings_too_few_or_too_short_are_explained(tmp_path):
    path = recordings(tmp_path, sizes=(20, 40))
    with pytest.raises(DatasetError, match="holds 2 recordings.*training and validation and test need at least 3"):
        build(path, window=8, sequence_column="subject", target_column="activity", validation_split=0.3,
              test_split=0.2)
    with pytest.raises(DatasetError, match="no recording in the training part is as long as window \\+ horizon = 27 "
                                           "rows \\(the longest has 20\\)"):
        build(path, window=26, horizon=1, sequence_column="subject", target_column="x")
    with pytest.raises(DatasetError, match="sequence id column 'subject' is listed as an input"):
        build(path, window=4, sequence_column="subject", feature_columns=["x", "subject"], target_column="activity")
