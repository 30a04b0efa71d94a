"""Nothing lost if the window dies.

A window process that holds an unsaved trained run is killed as the out-of-memory killer would
(SIGKILL: no cleanup); the next start offers its session back, and the restored run predicts
exactly as before. A run whose training process is killed is marked so, keeps the history it
sent, and the window goes on.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt

from core.inference import predict
from core.recovery import find_recoveries, read_recovery
from core.specs import DatasetSpec, ModelSpec, Project, TrainingSpec
from desktop_app import recovery
from desktop_app.worker import shared_trainer
from tests.desktop_app.conftest import RUN_TIMEOUT_MS, cell_text, configure_tiny_cooking, train_and_wait

ROOT = Path(__file__).resolve().parents[2]
PROJECT = Project(name="Week of meals",
                  dataset=DatasetSpec(task="cooking", params={"days": 7, "samples": 96}, seed=3),
                  model=ModelSpec(cell="LSTM", io_mode="many_to_many", units=8),
                  training=TrainingSpec(epochs=2, batch_size=16, learning_rate=0.02, seed=42))

# The window as app.py makes it (recovery attached), trained once; then it waits to be killed.
_APP = """
import sys
from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QApplication

app = QApplication(["rnn-lab"])
from core.inference import predict
from core.specs import Project
from desktop_app.main_window import MainWindow
from desktop_app.recovery import attach_recovery
from desktop_app.settings import Settings

folder = Path(sys.argv[1])
window = MainWindow(settings=Settings.at_path(folder / "rnn-lab.ini"))
window.recovery = attach_recovery(window, folder / "recovery")
window.set_project(Project.from_json((folder / "project.json").read_text()))
window.show()


def ended(record):
    x = window.current_data().x_val[:8]
    np.save(folder / "x.npy", x)
    np.save(folder / "predictions.npy", predict(record.model, record.info, x))
    (folder / "ended").write_text(str(record.status))


window.session.run_ended.connect(ended)
window.tensorflow_ready.connect(lambda _text: window.train())
window.start_loading_tensorflow()
app.exec()
"""


def _killed_window_session(folder: Path) -> None:
    """Run the app in a child process until its run has ended, then SIGKILL it."""
    (folder / "project.json").write_text(PROJECT.to_json())
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": "",
           "XDG_STATE_HOME": str(folder / "state"), "XDG_CONFIG_HOME": str(folder / "config")}
    with open(folder / "app.log", "wb") as log:
        app = subprocess.Popen([sys.executable, "-c", _APP, str(folder)], cwd=ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 240
        while not (folder / "ended").exists() and app.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert (folder / "ended").read_text() == "completed", (folder / "app.log").read_text()[-3000:]
    finally:
        app.send_signal(signal.SIGKILL)
        app.wait(30)
    assert app.returncode == -signal.SIGKILL


def test_a_killed_window_s_session_is_offered_at_the_next_start_and_predicts_as_before(
        qtbot, make_window, monkeypatch, tmp_path):
    _killed_window_session(tmp_path)
    root = tmp_path / "recovery"
    [left] = find_recoveries(root)

    offered = []
    monkeypatch.setattr(recovery, "ask_restore", lambda parent, found: offered.append(found) or "restore")
    window = make_window()
    assert window.runs_panel.records() == []
    assert recovery.offer_recovery(window, root) == "restore"

    [found] = offered
    assert found.name == "Week of meals" and [run.label for run in found.runs] == ["#1 LSTM"]
    [record] = window.runs_panel.records()
    assert record is window.session.current and record.status == "completed" and record.label == "#1 LSTM"
    assert cell_text(window, 0, "Status") == "completed" and len(record.history.epochs) == 2
    assert window.current_project().model == PROJECT.model and window.document.name == "Week of meals"
    assert window.predict_panel.has_model() and window.plots.run_ids() == [record.run_id]
    x = np.load(tmp_path / "x.npy")
    np.testing.assert_allclose(predict(record.model, record.info, x), np.load(tmp_path / "predictions.npy"),
                               rtol=1e-6, atol=1e-6)
    # Still unsaved work: closing asks to save it; the dead process's copy is gone, nothing offered twice.
    assert window.document.is_dirty() and window.windowTitle().endswith("*")
    assert not left.exists() and find_recoveries(root) == []
    assert recovery.offer_recovery(window, root) is None


def test_a_run_whose_training_process_is_killed_keeps_its_history_and_the_window_goes_on(
        qtbot, make_window, tmp_path):
    window = make_window()
    kept = recovery.attach_recovery(window, tmp_path)
    configure_tiny_cooking(qtbot, window, epochs=300, samples=200, batch=4)
    epochs = []
    window.session.epoch_ended.connect(lambda _run_id, event: epochs.append(event))
    qtbot.mouseClick(window.training_panel.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(epochs) >= 2, timeout=RUN_TIMEOUT_MS)

    with qtbot.waitSignal(window.session.run_ended, timeout=60000) as done:
        os.kill(shared_trainer().pid, signal.SIGKILL)
    record = done.args[0]
    assert record.status == "killed" and record.model is None
    assert len(record.history.epochs) >= 2 and len(record.history.batch_loss) >= 2 * 40
    assert record.final_metrics == record.history.epochs[-1]
    assert cell_text(window, 0, "Status") == "killed by the system (out of memory?)"
    title, text = window.last_message
    assert title == "Training process killed" and "killed by the system (out of memory?)" in text
    assert "is kept" in text and "smaller batch size" in text
    assert not window.session.is_training() and window.training_panel.train_button.isEnabled()
    # The recovery copy holds the killed run with its history.
    [saved] = read_recovery(kept.store.folder).runs
    assert saved.status == "killed" and saved.history.to_dict() == record.history.to_dict()

    # The next run trains in a fresh process.
    window.training_panel.epochs_spin.setValue(1)
    again = train_and_wait(qtbot, window)
    assert again.status == "completed", again.message
    window.close()
    assert not kept.store.folder.exists()  # a clean close leaves nothing to recover
