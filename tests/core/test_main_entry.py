"""``python main.py ARGS``: which arguments open the window and which run the command line."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from _sweeps import tiny_sweep

from core.sweeps.results import write_results

ROOT = Path(__file__).resolve().parents[2]


def _entry():
    spec = importlib.util.spec_from_file_location("rnnlab_main_entry", ROOT / "main.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_files_and_sweep_folders_open_the_window_and_commands_run_headless(tmp_path):
    entry = _entry()
    sweep = tmp_path / "my sweep"
    write_results(sweep, tiny_sweep(), [])  # what main.py sweep --out leaves before its first trial ends
    bundle = tmp_path / "m.rnnlab"
    bundle.write_bytes(b"")
    plain_folder = tmp_path / "photos"
    plain_folder.mkdir()

    assert entry._files_to_open([str(sweep)])
    assert entry._files_to_open([str(bundle), str(sweep)])
    assert not entry._files_to_open([str(plain_folder)])  # a folder without a sweep is no document
    assert not entry._files_to_open(["sweep", str(ROOT / "resources/examples/sweeps/how_far_back.json"),
                                     "--out", str(sweep)])
    assert not entry._files_to_open(["train", str(ROOT / "resources/examples/cooking.json")])
