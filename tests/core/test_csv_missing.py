"""Missing cells in a user's series: refused with every one counted, interpolated or forward-filled
within each part (never from validation into training), or their rows dropped when the rows are
not evenly spaced in time; the preview says what was done and where."""

import numpy as np
import pytest

from core.datasets import build_dataset
from core.errors import DatasetError
from core.specs import DatasetSpec


def build(path, mode="many_to_one", validation_split=0.25, test_split=0.0, **params):
    params = {"path": str(path), "window": 2, **params}
    return build_dataset(DatasetSpec(task="csv", params=params, validation_split=validation_split,
                                     test_split=test_split), mode)


def series(data):
    """The rows the windows were cut from, back in the file's units (window starts are 1 apart)."""
    x = data.info.denormalize_x(np.asarray(data.x_train))
    return np.concatenate([x[:, 0, :], x[-1, 1:, :]])


def write(tmp_path, lines, name="gaps.csv"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_refusal_counts_every_blank_and_offers_the_fills(tmp_path):
    lines = ["day,level,flow"]
    for i in range(200):
        level = "" if i % 5 == 2 else f"{i}.5"  # 40 blanks
        flow = "NA" if i % 10 == 3 else f"{i}"  # 20 NAs
        lines.append(f"{i},{level},{flow}")
    lines[-1] = "199,,"  # and one more in each column
    with pytest.raises(DatasetError) as raised:
        build(write(tmp_path, lines))
    message = str(raised.value)
    assert "gaps.csv has 62 missing cells in the columns used" in message
    assert "row 4, column 'level' is empty; row 5, column 'flow' holds 'NA'; row 9, column 'level' is empty" in message
    assert "and 59 more" in message
    for fill in ("interpolate", "ffill", "drop_rows"):
        assert fill in message


def test_interpolate_fills_linearly_in_time_and_ffill_repeats_the_last_value(tmp_path):
    lines = ["day,a,b"] + [f"{i},{i * 10},{i}" for i in range(12)]
    lines[3 + 1] = "3,,3"  # a: 20 and 50 around a gap of two
    lines[4 + 1] = "4,,4"
    lines[6 + 1] = "6,60,NA"  # b: 5 and 7 around it
    path = write(tmp_path, lines)
    data = build(path, missing="interpolate")
    filled = series(data)
    np.testing.assert_allclose(filled[3:5, 0], [30, 40], atol=1e-3)
    np.testing.assert_allclose(filled[6, 1], 6, atol=1e-3)
    assert data.info.extra["missing"] == {"method": "interpolate", "filled": 3, "dropped_rows": 0}
    assert ("Missing cells: 3 cells filled by linear interpolation within each part (first: row 5 'a', row 6 'a', "
            "row 8 'b').") in data.info.extra["notes"]
    filled = series(build(path, missing="ffill"))
    np.testing.assert_allclose(filled[3:5, 0], [20, 20], atol=1e-3)
    np.testing.assert_allclose(filled[6, 1], 5, atol=1e-3)
    # Cells that are there are never changed.
    np.testing.assert_allclose(filled[[0, 1, 2, 5, 7], 0], [0, 10, 20, 50, 70], atol=1e-3)


def test_no_training_row_is_ever_filled_from_a_validation_or_test_value(tmp_path):
    # 20 rows, validation 0.25: rows 0-14 train, 15-19 validate. Rows 13-16 are blank.
    lines = ["day,v"] + [f"{i},{'' if 13 <= i <= 16 else 100 + i * (1 if i < 15 else 50)}" for i in range(20)]
    path = write(tmp_path, lines)
    for method, expected in (("interpolate", 112.0), ("ffill", 112.0)):
        data = build(path, missing=method)
        assert data.info.extra["train_rows"] == 15
        train = series(data)
        last = data.info.denormalize_y(data.y_train[-1:])[0, 0]  # row 14, the last window's target
        # The last training rows hold the last training value, not a step towards the
        # validation values (867, 900, ...): interpolation does not reach across the split.
        np.testing.assert_allclose([train[13, 0], last], [expected, expected], atol=1e-3)
        assert data.info.normalization["x_mean"][0] < 120
        # The validation gap is filled from validation values only.
        held = data.info.denormalize_x(np.asarray(data.x_val))
        np.testing.assert_allclose(held[0, :, 0], [100 + 17 * 50] * 2, atol=1e-3)  # rows 15, 16 from row 17


def test_a_part_with_no_value_at_all_cannot_be_filled(tmp_path):
    lines = ["day,v"] + [f"{i},{'' if i >= 15 else i}" for i in range(20)]
    with pytest.raises(DatasetError, match="column 'v' has no value at all in rows 17 to 21 \\(the validation part\\)"):
        build(write(tmp_path, lines), missing="interpolate")


def test_drop_rows_needs_rows_that_are_not_evenly_spaced(tmp_path):
    lines = ["time,v,w"] + [f"{i * 1.5:.1f},{'' if i in (4, 9) else i},{'?' if i == 6 else i * 2}" for i in range(20)]
    path = write(tmp_path, lines)
    with pytest.raises(DatasetError, match="drop_rows, but the rows are evenly spaced in time"):
        build(path, missing="drop_rows")
    data = build(path, missing="drop_rows", evenly_spaced=False)
    assert data.info.extra["rows"] == 17
    assert data.info.extra["missing"]["dropped_rows"] == 3
    assert "Missing cells: 3 rows with a missing cell dropped (first: row 6 'v', row 8 'w', row 11 'v')." in \
        data.info.extra["notes"]
    kept = series(data)[:, 0]
    assert 4 not in kept and 6 not in kept and list(kept[:5]) == pytest.approx([0, 1, 2, 3, 5], abs=1e-3)
    # The file's own time stamps follow the kept rows.
    assert list(data.time_values[:5]) == ["0.0", "1.5", "3.0", "4.5", "7.5"]


def test_labels_can_be_forward_filled_but_not_interpolated(tmp_path):
    lines = ["t,x,state"] + [f"{i},{i % 4},{'' if i == 7 else ('on' if (i // 5) % 2 else 'off')}" for i in range(40)]
    path = write(tmp_path, lines)
    with pytest.raises(DatasetError, match="label column 'state' has missing cells, and labels cannot be interpolated"):
        build(path, target_column="state", missing="interpolate", horizon=0)
    data = build(path, target_column="state", missing="ffill", horizon=0)
    assert data.info.class_names == ["off", "on"]
    assert int(data.y_train[7 - 1]) == 1  # row 7 takes row 6's label, "on", for the window ending there
