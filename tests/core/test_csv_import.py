"""Importing a CSV time series: windows match the file, statistics come from the training rows
only, validation windows never reach back into training rows, and every bad file is explained
with its row and column."""

import csv

import numpy as np
import pytest

from core.datasets import build_dataset, get_task
from core.datasets.csv_series import DATA, sniff_columns
from core.errors import DatasetError, SpecError
from core.specs import DatasetSpec

SHIPPED = DATA / "daily_weather.csv"
COLUMNS = ["date", "high", "low", "wind", "rain", "humidity"]


def build(path=None, mode=None, validation_split=0.2, **params):
    params = {"path": str(path) if path is not None else "builtin:daily_weather", **params}
    return build_dataset(DatasetSpec(task="csv", params=params, validation_split=validation_split), mode)


def file_rows(path=SHIPPED):
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return rows[0], np.array([[float(v) for v in row[1:]] for row in rows[1:]])


def raw(info, x):
    norm = info.normalization
    return x * np.array(norm["x_std"]) + np.array(norm["x_mean"])


def raw_y(info, y):
    return y * info.normalization["y_std"][0] + info.normalization["y_mean"][0]


def write(tmp_path, text, name="series.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def good_csv(rows=40, columns=("high", "low", "humidity")):
    lines = ["date," + ",".join(columns)]
    for i in range(rows):
        lines.append(f"2024-01-{i + 1:02d}," + ",".join(f"{(i * (c + 1)) % 17 + c}.5" for c in range(len(columns))))
    return lines


def test_shipped_csv_is_two_years_of_plausible_weather():
    header, values = file_rows()
    assert header == COLUMNS and len(values) == 730
    high, low, wind, rain, humidity = values.T
    assert np.all(low < high) and rain.min() == 0 and 0 < humidity.min() and humidity.max() <= 1
    january, july = high[:31].mean(), high[181:212].mean()
    assert july - january > 25  # seasons
    assert np.corrcoef(high[:-1], high[1:])[0, 1] > 0.9  # day-to-day persistence
    assert sniff_columns("builtin:daily_weather") == COLUMNS


def test_windows_match_the_file_rows_and_targets():
    data = build(window=5, horizon=2, stride=3)
    info = data.info
    _, values = file_rows()
    assert info.feature_names == COLUMNS[1:] and info.target_names == ["high"]
    assert info.extra["train_rows"] == 584
    for i, (x, y) in enumerate(zip(data.x_train, data.y_train)):
        start = 3 * i
        np.testing.assert_allclose(raw(info, x), values[start:start + 5], atol=1e-3)
        assert raw_y(info, y[0]) == pytest.approx(values[start + 4 + 2, 0], abs=1e-3)
    assert 3 * (len(data.x_train) - 1) + 5 + 2 <= 584 < 3 * len(data.x_train) + 5 + 2


def test_normalisation_uses_training_rows_only_and_validation_starts_after_them():
    data = build(window=7)
    info = data.info
    _, values = file_rows()
    n_train = info.extra["train_rows"]
    np.testing.assert_allclose(info.normalization["x_mean"], values[:n_train].mean(axis=0), rtol=1e-9)
    np.testing.assert_allclose(info.normalization["x_std"], values[:n_train].std(axis=0), rtol=1e-9)
    assert info.normalization["y_mean"][0] == pytest.approx(values[:n_train, 0].mean())
    assert not np.allclose(info.normalization["x_std"], values.std(axis=0), rtol=1e-3)  # not fitted on all rows
    # No leakage: the first validation window starts at the first validation row.
    np.testing.assert_allclose(raw(info, data.x_val[0]), values[n_train:n_train + 7], atol=1e-3)
    assert raw_y(info, data.y_val[-1, 0]) == pytest.approx(values[-1, 0], abs=1e-3)
    assert len(data.x_val) == len(values) - n_train - 7


def test_many_to_many_targets_follow_every_row():
    data = build(mode="many_to_many", window=6, horizon=1)
    info = data.info
    np.testing.assert_allclose(raw_y(info, data.y_train[:, :-1, 0]), raw(info, data.x_train)[:, 1:, 0], atol=1e-3)
    assert info.output_shape == (6, 1)


def test_column_choice_delimiters_and_no_header(tmp_path):
    data = build(feature_columns="low, humidity", target_column="high", use_target_history=False, window=3)
    assert data.info.feature_names == ["low", "humidity"] and data.info.target_names == ["high"]
    data = build(target_column="rain", window=3)
    assert data.info.target_names == ["rain"] and data.info.feature_names == COLUMNS[1:]
    semicolon = write(tmp_path, "\n".join(line.replace(",", ";") for line in good_csv()) + "\n")
    assert build(semicolon, window=4).info.feature_names == ["high", "low", "humidity"]
    tabbed = write(tmp_path, "\n".join(line.replace(",", "\t") for line in good_csv()), "t.tsv")
    assert build(tabbed, window=4).info.extra["delimiter"] == "\t"
    bare = write(tmp_path, "\n".join(f"{i}.0,{i * 2}.0" for i in range(30)))
    info = build(bare, window=4).info
    assert info.feature_names == ["column 1", "column 2"]
    assert build(bare, feature_columns=[2], target_column="column 1", window=4).info.feature_names == ["column 2"]
    with pytest.raises(DatasetError, match="column number 3 does not exist.*2 columns"):
        build(bare, feature_columns=[3], window=4)
    # A numeric first column named like a time axis is not a feature unless asked for.
    numbered = write(tmp_path, "day,value\n" + "\n".join(f"{i},{i % 5}" for i in range(30)))
    assert build(numbered, window=4).info.feature_names == ["value"]
    # A one-column series is fine when it forecasts itself.
    single = write(tmp_path, "level\n" + "\n".join(str(i % 7) for i in range(40)))
    assert build(single, window=4).info.feature_names == ["level"]


def test_typed_rows_and_decoding():
    info = build(feature_columns=["high", "low"], target_column="high", window=2).info
    x = info.encode_input("67 43\n70, 50")
    assert x.shape == (2, 2)
    assert info.decode_input(x) == "2 rows; last row: high 70, low 50"
    y = (np.array([71.25]) - info.normalization["y_mean"][0]) / info.normalization["y_std"][0]
    assert info.decode_output(y) == "high 1 row ahead: 71.25"
    with pytest.raises(DatasetError, match="Row 2: expected 2 numbers \\(high, low\\), got 1"):
        info.encode_input("67 43; 70")


# --- bad files ----------------------------------------------------------------------------------

def replace_cell(lines, line_number, column, value):
    """Set one cell; line_number is the 1-based line of the file (the header is line 1)."""
    header = lines[0].split(",")
    cells = lines[line_number - 1].split(",")
    cells[header.index(column)] = value
    lines[line_number - 1] = ",".join(cells)
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    "make, params, message",
    [
        (lambda: replace_cell(good_csv(), 17, "humidity", "abc"), {},
         "series.csv, row 17, column 'humidity': 'abc' is not a number"),
        (lambda: replace_cell(good_csv(), 9, "low", ""), {},
         "row 9, column 'low' is empty: a missing value"),
        (lambda: replace_cell(good_csv(), 12, "high", "NA"), {},
         "row 12, column 'high' holds 'NA': a missing value"),
        (lambda: replace_cell(good_csv(), 5, "high", "NaN"), {},
         "row 5, column 'high': 'NaN' is not a finite number"),
        (lambda: replace_cell(good_csv(), 6, "low", "inf"), {},
         "row 6, column 'low': 'inf' is not a finite number"),
        (lambda: replace_cell(good_csv(), 7, "low", "1e39"), {}, "row 7, column 'low': '1e39' is too large"),
        (lambda: "\n".join(good_csv(rows=10)), {"window": 14},
         "has 10 data rows: a window of 14 plus a horizon of 1 needs at least 15"),
        (lambda: "\n".join(good_csv(rows=20)), {"window": 17},
         "the training part \\(the first 16 of 20 data rows.*shorter than window \\+ horizon = 18"),
        (lambda: "\n".join(good_csv(rows=20)), {"window": 14},
         "the validation part \\(the last 4 of 20 data rows\\) is shorter than window \\+ horizon = 15"),
        (lambda: "date,high,low,humidity\n", {}, "has a header \\(date, high, low, humidity\\) but no data rows"),
        (lambda: "\n".join(good_csv()), {"target_column": "temp"},
         "Target column 'temp' is not in series.csv; the columns are: date, high, low, humidity"),
        (lambda: "\n".join(good_csv()), {"feature_columns": ["high", "rain"]},
         "Feature column 'rain' is not in series.csv; the columns are: date, high, low, humidity"),
        (lambda: "\n".join(good_csv()), {"target_column": "date"},
         "Target column 'date' of series.csv holds text \\(e.g. '2024-01-01' in row 2\\)"),
        (lambda: "\n".join(good_csv(columns=("level",))), {"use_target_history": False},
         "only one numeric column to use \\(level\\), and it is the target.*two numeric columns are needed"
         ".*'date' is the time axis"),
        (lambda: "\n".join(good_csv()[:8] + ["2024-02-01,1.5,2.5"] + good_csv()[8:]), {},
         "row 9: 3 cells, but the header has 4 columns"),
        (lambda: "date,high,high\n1,2,3\n", {}, "columns 2 and 3 are both named 'high'"),
        (lambda: "date,name\n2024-01-01,x\n2024-01-02,y\n", {}, "no numeric column to learn from"),
    ],
)
def test_bad_csv_content_names_row_and_column(tmp_path, make, params, message):
    path = write(tmp_path, make())
    with pytest.raises(DatasetError, match=message):
        build(path, **params)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "series.csv: the CSV file is empty"),
        (b"\n\n  \n", "is empty"),
        (bytes(range(256)) * 8, "binary file"),
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00" + bytes(200), "binary file"),
        ("date,high\n2024-01-01,3.5\n".encode("utf-16"), "UTF-16"),
        ("date,high\n2024-01-01,3.5\n".encode("utf-16-le"), "UTF-16"),
    ],
)
def test_unreadable_csv_files_are_explained(tmp_path, content, message):
    path = tmp_path / "series.csv"
    path.write_bytes(content)
    with pytest.raises(DatasetError, match=message):
        build(path)


def test_missing_file_folder_and_blank_path(tmp_path):
    with pytest.raises(DatasetError, match="nothere.csv: file not found"):
        build(tmp_path / "nothere.csv")
    with pytest.raises(DatasetError, match="is a folder"):
        build(tmp_path)
    with pytest.raises(SpecError, match="dataset.params.path"):
        build_dataset(DatasetSpec(task="csv", params={"path": "  "}))
    with pytest.raises(SpecError, match="builtin:daily_weather"):
        build("builtin:nope")


def test_utf8_with_bom_and_windows_line_endings_are_fine(tmp_path):
    path = tmp_path / "series.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(good_csv()).encode("utf-8"))
    data = build(path, window=4)
    assert data.info.feature_names == ["high", "low", "humidity"]


def test_relative_paths_resolve_from_the_project_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # an example project names the shipped file relative to the project folder
    assert get_task("csv").load({"path": "resources/data/daily_weather.csv", "delimiter": "auto"})[1] == SHIPPED
    write(tmp_path, "\n".join(good_csv()), "mine.csv")
    assert build("mine.csv", window=3).info.extra["file"] == "mine.csv"
