"""Windows cut on demand: they answer as the array of windows would, cost their rows (not their
windows) in memory, feed Keras through tf.data with a new order every epoch, and big files keep
their row and column in error messages."""

import pickle
from pathlib import Path

import numpy as np
import pytest

from core.datasets import build_dataset
from core.datasets.csv_reader import read_table
from core.datasets.windows import Windows, as_dataset, dataset_bytes, segment_starts
from core.errors import DatasetError
from core.specs import DatasetSpec


def test_windows_answer_as_the_array_of_windows_would():
    rows = np.arange(60, dtype=np.float32).reshape(20, 3)
    starts = segment_starts([(0, 12), (12, 20)], need=5, stride=2)
    assert starts.tolist() == [0, 2, 4, 6, 12, 14]  # no window (plus its target) crosses row 12
    windows = Windows(rows, starts, 4)
    array = np.stack([rows[s:s + 4] for s in starts])
    assert windows.shape == array.shape and len(windows) == 6 and windows.dtype == np.float32
    np.testing.assert_array_equal(np.asarray(windows), array)
    for key in (2, -1, (slice(None), -1, 0), (1, slice(None), 2), (np.array([0, 5]), 2)):
        np.testing.assert_array_equal(windows[key], array[key])
    view = windows[1:3]
    assert isinstance(view, Windows) and view.rows is rows  # slicing is a view, as for an array
    np.testing.assert_array_equal(np.asarray(view), array[1:3])
    assert windows.max() == array.max()
    with pytest.raises(IndexError):
        windows[6]
    # Training and validation windows of one file share their rows, also through a pipe.
    again = pickle.loads(pickle.dumps((windows[:3], windows[3:])))
    assert again[0].rows is again[1].rows


def test_the_pipeline_gives_every_window_once_per_epoch_in_a_new_order():
    pytest.importorskip("tensorflow")
    rows = np.arange(200, dtype=np.float32).reshape(100, 2)
    starts = segment_starts([(0, 100)], need=6, stride=1)
    x, y = Windows(rows, starts, 5), rows[starts + 5, :1]
    batches = list(as_dataset(x, y, batch_size=16))
    assert len(batches) == -(-len(x) // 16)
    np.testing.assert_array_equal(np.concatenate([b[0] for b in batches]), np.asarray(x))
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), y)
    shuffled = as_dataset(x, y, batch_size=16, shuffle=True, seed=3)
    epochs = [np.concatenate([b[1].numpy()[:, 0] for b in shuffled]) for _ in range(2)]
    for order in epochs:
        assert sorted(order.tolist()) == sorted(y[:, 0].tolist())
    assert not np.array_equal(epochs[0], epochs[1])
    first = np.concatenate([b[1].numpy()[:, 0] for b in as_dataset(x, y, batch_size=16, shuffle=True, seed=3)])
    np.testing.assert_array_equal(first, epochs[0])  # the same seed, the same order
    # Each sample keeps its own target while the order changes.
    for xb, yb in shuffled.take(2):
        np.testing.assert_array_equal(xb.numpy()[:, -1, 0] + 2, yb.numpy()[:, 0])


def test_when_the_batches_divide_the_data_each_has_its_size_known_and_floats_become_float32():
    # Keras' own array inputs do both; a train step traced for a known batch size runs faster.
    pytest.importorskip("tensorflow")
    x = np.arange(64 * 3, dtype=np.float64).reshape(64, 3, 1)
    y = x[:, -1] + 1
    shuffled = as_dataset(x, y, batch_size=16, shuffle=True, seed=3)
    assert [tuple(spec.shape) for spec in shuffled.element_spec] == [(16, 3, 1), (16, 1)]
    assert [spec.dtype.name for spec in shuffled.element_spec] == ["float32", "float32"]
    epochs = [np.concatenate([b[1].numpy()[:, 0] for b in shuffled]) for _ in range(2)]
    for order in epochs:
        assert sorted(order.tolist()) == sorted(y[:, 0].tolist())
    assert not np.array_equal(epochs[0], epochs[1])
    for xb, yb in shuffled:
        np.testing.assert_array_equal(xb.numpy()[:, -1, 0] + 1, yb.numpy()[:, 0])
    # A last, smaller batch: any size.
    assert tuple(as_dataset(x[:60], y[:60], batch_size=16).element_spec[0].shape) == (None, 3, 1)


def test_training_batches_are_all_full_and_every_sample_is_in_each_pass():
    # The training pipeline: 60 samples in batches of 16 are 4 batches of 16, the last filled up
    # with the first samples of the pass's order, so the train step is traced for one known size.
    pytest.importorskip("tensorflow")
    rows = np.arange(200, dtype=np.float32).reshape(100, 2)
    starts = segment_starts([(0, 100)], need=6, stride=1)[:60]
    x, y = Windows(rows, starts, 5), rows[starts + 5, :1]
    training = as_dataset(x, y, batch_size=16, shuffle=True, seed=3, full_batches=True)
    assert [tuple(spec.shape) for spec in training.element_spec] == [(16, 5, 2), (16, 1)]
    assert int(training.cardinality()) == 4
    passes = []
    for _ in range(2):
        batches = list(training)
        assert [len(b[1]) for b in batches] == [16] * 4
        order = np.concatenate([b[1].numpy()[:, 0] for b in batches])
        assert sorted(set(order.tolist())) == sorted(y[:, 0].tolist())  # every sample in every pass
        np.testing.assert_array_equal(order[60:], order[:4])  # the filling: the pass's first four
        for xb, yb in batches:
            np.testing.assert_array_equal(xb.numpy()[:, -1, 0] + 2, yb.numpy()[:, 0])
        passes.append(order)
    assert not np.array_equal(passes[0], passes[1])
    # Fewer samples than one batch: one batch of all of them, its size known.
    few = as_dataset(x[:10], y[:10], batch_size=16, shuffle=True, full_batches=True)
    assert tuple(few.element_spec[1].shape) == (10, 1)
    assert sorted(next(iter(few))[1].numpy()[:, 0].tolist()) == sorted(y[:10, 0].tolist())


def big_series(tmp_path, rows: int, bad_row: int | None = None):
    values = [f"{i},{(i * 7) % 101 * 0.5}" for i in range(rows)]
    if bad_row is not None:
        values[bad_row] = f"{bad_row},12,5kg"
    path = tmp_path / "big.csv"
    path.write_text("step,level\n" + "\n".join(values) + "\n", encoding="utf-8")
    return path


def test_a_million_rows_keep_the_row_and_column_of_a_bad_cell_near_the_end(tmp_path):
    path = big_series(tmp_path, 1_000_000, bad_row=999_990)
    path.write_text(path.read_text().replace("999990,12,5kg", "999990,12.5kg"))
    with pytest.raises(DatasetError, match="big.csv, row 999992, column 'level': '12.5kg' is not a number"):
        build_dataset(DatasetSpec(task="csv", params={"path": str(path), "window": 50}), "many_to_one")


def test_windows_of_a_long_series_cost_its_rows_not_its_windows(tmp_path):
    data = build_dataset(DatasetSpec(task="csv", params={"path": str(big_series(tmp_path, 200_000)), "window": 50}),
                         "many_to_one")
    assert isinstance(data.x_train, Windows) and isinstance(data.x_val, Windows)
    assert data.x_train.shape == (160_000 - 50, 50, 1)
    assert data.x_train.rows is data.x_val.rows and data.x_train.rows.nbytes * 25 < data.x_train.nbytes
    # What the memory estimate counts: the rows once, not every window.
    assert dataset_bytes(data) == data.x_train.rows.nbytes + data.y_train.nbytes + data.y_val.nbytes
    # The parsed file is kept while unchanged: another window does not read it again.
    table = read_table(Path(data.info.extra["path"]))
    assert read_table(Path(data.info.extra["path"])) is table and table.num_rows == 200_000


def test_a_long_text_is_cut_into_windows_on_demand(tmp_path):
    path = tmp_path / "long.txt"
    path.write_text("the rain falls on the hills and the river rises. " * 20_000, encoding="utf-8")
    data = build_dataset(DatasetSpec(task="text", params={"source": str(path), "window": 40, "stride": 1}),
                         "many_to_many")
    assert isinstance(data.x_train, Windows) and data.x_train.rows.nbytes * 30 < data.x_train.nbytes
    vocabulary = data.info.vocabulary
    first = "".join(vocabulary[i] for i in data.x_train[0])
    target = "".join(vocabulary[i] for i in data.y_train[0])
    assert first == "the rain falls on the hills and the rive" and target == first[1:] + "r"


def test_training_reads_the_windows_through_the_pipeline(tmp_path):
    pytest.importorskip("keras")
    from core.specs import ModelSpec, Project, TrainingSpec
    from core.training import train

    path = tmp_path / "wave.csv"
    path.write_text("t,v\n" + "".join(f"{i},{np.sin(i / 3):.4f}\n" for i in range(400)), encoding="utf-8")
    project = Project(name="lazy", dataset=DatasetSpec(task="csv", params={"path": str(path), "window": 12}),
                      model=ModelSpec(cell="GRU", io_mode="many_to_one", units=8),
                      training=TrainingSpec(epochs=4, batch_size=32, learning_rate=0.02, early_stopping=False))
    data = build_dataset(project.dataset, "many_to_one")
    assert isinstance(data.x_train, Windows)
    result = train(project, data)
    losses = [epoch["loss"] for epoch in result.history.epochs]
    assert len(result.history.batch_loss) == 4 * -(-data.num_train // 32)
    assert losses[-1] < 0.5 * losses[0] and "val_loss" in result.history.epochs[-1]
