"""The Dataset panel with a user's CSV that has gaps, labels and a spreadsheet's format: the
preview says what was read, how many cells were filled and where, and the class balance."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from desktop_app.panels import DatasetPanel


@pytest.fixture
def dataset_panel(show_widget):
    return show_widget(DatasetPanel(), 420, 900)


def _import(qtbot, panel: DatasetPanel, path) -> None:
    panel.ask_open_file = lambda *args: (str(path), "")
    with qtbot.waitSignal(panel.dataset_changed, timeout=5000):
        qtbot.mouseClick(panel.import_csv_button, Qt.MouseButton.LeftButton)


def _choose(qtbot, panel: DatasetPanel, name: str, text: str) -> None:
    combo = panel.form().editor(name)
    with qtbot.waitSignal(panel.dataset_changed, timeout=5000):
        combo.setCurrentIndex(combo.findText(text))


def test_the_preview_shows_how_many_cells_were_filled_and_where(qtbot, dataset_panel, tmp_path):
    path = tmp_path / "meter.csv"
    rows = [f"{i};{10 + i % 7},{i % 3};{i % 5}" for i in range(80)]
    rows[9] = "9;;1"  # two gaps in 'reading', one in 'temp'
    rows[10] = "10;;NA"
    path.write_text("day;reading;temp\n" + "\n".join(rows) + "\n", encoding="cp1252")
    _import(qtbot, dataset_panel, path)
    # Refused at first, with every gap counted and the fills offered, next to the settings.
    error = dataset_panel.error_text()
    assert "meter.csv has 3 missing cells" in error and "interpolate" in error
    assert "row 11, column 'reading' is empty" in dataset_panel.message_label.plain_text()

    _choose(qtbot, dataset_panel, "missing", "interpolate")
    assert dataset_panel.error_text() == ""
    shown = dataset_panel.shapes_label.text()
    assert "Missing cells: 3 cells filled by linear interpolation" in shown
    assert "row 11 'reading', row 12 'reading', row 12 'temp'" in shown.replace("&#x27;", "'")
    assert "semicolon-separated, decimal comma" in shown


def test_the_preview_shows_the_class_balance_of_a_label_column(qtbot, dataset_panel, tmp_path):
    path = tmp_path / "moves.csv"
    labels = ("sit", "walk", "run")
    path.write_text("t,acc,move\n" + "".join(f"{i},{(i % 4) * 0.5},{labels[(i // 10) % 3]}\n" for i in range(90)),
                    encoding="utf-8")
    _import(qtbot, dataset_panel, path)
    form = dataset_panel.form()
    target = form.editor("target_column")
    with qtbot.waitSignal(dataset_panel.dataset_changed, timeout=5000):
        target.setCurrentIndex(target.findText("move"))
        target.activated.emit(target.currentIndex())
    data = dataset_panel.current_data()
    assert data is not None and data.info.class_names == ["run", "sit", "walk"]
    shown = dataset_panel.shapes_label.text()
    assert "one of 3 classes" in shown and "Classes in the training windows: run" in shown
