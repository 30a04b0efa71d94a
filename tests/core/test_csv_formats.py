"""CSV files as spreadsheets write them: semicolons and decimal commas, Windows-1252 and Latin-1
headers, read as such (detected or chosen), with the preview saying what was detected; a cell
that is not a number is still named by row and column."""

import numpy as np
import pytest

from core.datasets import build_dataset
from core.datasets.csv_series import sniff_columns
from core.errors import DatasetError
from core.specs import DatasetSpec


def build(path, mode="many_to_one", validation_split=0.25, **params):
    spec = DatasetSpec(task="csv", params={"path": str(path), "window": 3, **params}, validation_split=validation_split)
    return build_dataset(spec, mode)


def raw_inputs(data):
    return data.info.denormalize_x(np.asarray(data.x_train))


def test_semicolons_and_decimal_commas_are_detected_and_said(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("date;value\n" + "".join(f"{i};{i},5\n" for i in range(20)), encoding="utf-8")
    data = build(path)
    assert data.info.feature_names == ["value"]
    np.testing.assert_allclose(raw_inputs(data)[0, :, 0], [0.5, 1.5, 2.5], atol=1e-4)
    assert data.info.extra["decimal"] == "," and data.info.extra["delimiter"] == ";"
    assert "Read as semicolon-separated, decimal comma, UTF-8 (all detected)." in data.info.extra["notes"]


def test_a_decimal_mark_chosen_by_the_user_wins(tmp_path):
    path = tmp_path / "codes.csv"
    # "1,500" means one and a half to this user, although the cells look like thousands.
    path.write_text("step;value\n" + "".join(f"{i};{i},500\n" for i in range(20)), encoding="utf-8")
    np.testing.assert_allclose(raw_inputs(build(path, decimal=","))[0, :, 0], [0.5, 1.5, 2.5], atol=1e-4)
    with pytest.raises(DatasetError, match="no numeric column to learn from"):
        build(path, decimal=".")
    notes = build(path, decimal=",", delimiter=";").info.extra["notes"]
    assert "Read as semicolon-separated, decimal comma, UTF-8 (detected: encoding)." in notes


def test_latin1_and_windows_1252_headers_are_read_and_the_encoding_is_shown(tmp_path):
    path = tmp_path / "mesures.csv"
    path.write_bytes(("date;température;débit €\n" + "".join(f"{i};{i},5;{2 * i}\n" for i in range(20)))
                     .encode("cp1252"))
    data = build(path)
    assert data.info.feature_names == ["température", "débit €"]
    assert data.info.extra["encoding"] == "cp1252"
    assert "Windows-1252" in data.info.extra["notes"][0] and "all detected" in data.info.extra["notes"][0]
    assert sniff_columns(str(path)) == ["date", "température", "débit €"]
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes(("jour,température\n" + "".join(f"{i},{i}\n" for i in range(20))).encode("latin-1"))
    assert build(latin1, encoding="latin-1").info.feature_names == ["température"]
    # The user insisting on UTF-8 gets the reason, and what to choose instead.
    with pytest.raises(DatasetError, match="not UTF-8 text: byte 0xE9 on line 1.*Latin-1 or Windows-1252"):
        build(latin1, encoding="utf-8")


def test_a_cell_that_is_no_number_is_named_by_row_and_column_in_a_decimal_comma_file(tmp_path):
    path = tmp_path / "weights.csv"
    rows = [f"{i};{i},5" for i in range(20)]
    rows[6] = "6;12,5kg"
    path.write_text("day;weight\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="weights.csv, row 8, column 'weight': '12,5kg' is not a number"):
        build(path)
    # Filling missing cells does not turn a bad cell into a missing one.
    with pytest.raises(DatasetError, match="row 8, column 'weight': '12,5kg' is not a number"):
        build(path, missing="interpolate")


def test_noise_that_happens_to_decode_as_windows_1252_is_still_refused(tmp_path):
    path = tmp_path / "noise.csv"
    path.write_bytes(bytes([0x80, 0x9F, 0xC0, 0xFF, 0xFE, 0xC1, 0xF8]) * 300)
    with pytest.raises(DatasetError, match="noise.csv is not UTF-8 text"):
        build(path)
