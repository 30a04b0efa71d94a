"""The shipped example CSVs: reproducible from their script, and their example projects show what
they are for (gaps filled by interpolation; labels recognised on whole recordings)."""

import importlib.util
from pathlib import Path

from core.datasets import build_dataset
from core.persistence import load_project

ROOT = Path(__file__).resolve().parents[2]


def test_the_example_csvs_are_what_their_script_makes(tmp_path):
    spec = importlib.util.spec_from_file_location("make_example_csvs", ROOT / "scripts" / "make_example_csvs.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    script.main(["--out", str(tmp_path)])
    for name in script.FILES:
        assert (tmp_path / name).read_bytes() == (ROOT / "resources" / "data" / name).read_bytes(), name


def test_the_energy_example_fills_its_gaps_within_each_part():
    project = load_project(ROOT / "resources" / "examples" / "csv_energy.json")
    data = build_dataset(project.dataset, project.model.io_mode)
    assert project.dataset.params["missing"] == "interpolate" and data.info.extra["missing"]["filled"] >= 10
    assert data.time_column == "date" and data.time_values[0] == "2021-01-01"
    assert data.num_test > 0


def test_the_activity_example_recognises_labels_on_whole_recordings():
    project = load_project(ROOT / "resources" / "examples" / "csv_activity.json")
    data = build_dataset(project.dataset, project.model.io_mode)
    assert data.info.class_names == ["idle", "running", "walking"]
    assert data.info.extra["sequence_column"] == "recording"
    notes = " ".join(data.info.extra["notes"])
    assert "Recordings: 30" in notes and "Classes in the training windows" in notes
