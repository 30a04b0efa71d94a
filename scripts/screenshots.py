"""Render the main window offscreen in a few states and save PNGs for the README.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots.py      # make screenshots

States: the fresh start; a short cooking-schedule LSTM run with every plot filled (one image per
plot tab); the Predict tab on that model; and Compare cells on the adding problem (SimpleRNN vs
LSTM vs GRU, the lecture's vanishing gradient), with the runs list and the overlaid curves.
Everything is real: the window trains the models as a user's click would. Settings come from a
temporary file, so the user's layout and recent files are neither used nor changed.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QEventLoop, QSize  # noqa: E402
from PySide6.QtWidgets import QApplication, QTabWidget  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
SIZE = QSize(1600, 1000)


def wait_until(app: QApplication, condition, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out after {timeout_s:.0f} s waiting for {what}")
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.01)


def settle(app: QApplication, seconds: float = 0.4) -> None:
    """Let timers (plot redraws at 15 Hz, debounces) fire and the layout settle."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        time.sleep(0.01)


def save(app: QApplication, window, name: str) -> Path:
    settle(app)
    path = OUT / name
    if not window.grab().save(str(path), "PNG"):
        raise SystemExit(f"could not write {path}")
    print(f"wrote {path.relative_to(ROOT)}", flush=True)
    return path


def train(app: QApplication, window, *, compare: bool = False, timeout_s: float = 900) -> None:
    finished: list = []
    signal = window.session.queue_finished if compare else window.session.run_ended
    signal.connect(finished.append)
    started = window.compare_cells() if compare else window.train()
    if not started:
        raise SystemExit(f"the run did not start: {window.last_message}")
    wait_until(app, lambda: bool(finished), timeout_s, "the run to finish")
    signal.disconnect(finished.append)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-compare", action="store_true", help="leave out the (slow) comparison")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)

    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setOrganizationName("RNN Lab")
    app.setApplicationName("RNN Lab")

    from core.examples import EXAMPLES_DIR
    from desktop_app import dialogs
    from desktop_app.main_window import MainWindow
    from desktop_app.resources import app_icon
    from desktop_app.settings import Settings

    # Opening the next example would ask whether to save the trained model; nothing here is
    # worth saving, and a modal prompt would wait forever offscreen.
    dialogs.ask_unsaved_changes = lambda parent, what: "discard"

    app.setWindowIcon(app_icon())
    with tempfile.TemporaryDirectory(prefix="rnnlab-shots-") as tmp:
        window = MainWindow(settings=Settings.at_path(Path(tmp) / "settings.ini"))
        window.resize(SIZE)
        window.show()
        window.start_loading_tensorflow()
        wait_until(app, lambda: window.tf_loader.is_ready, 120, "TensorFlow")
        save(app, window, "01-fresh-start.png")

        # The lecture's cooking schedule, a short LSTM run.
        window.document.open_example(EXAMPLES_DIR / "cooking.json")
        training = window.current_project().training
        window.training_panel.set_spec(dataclasses.replace(training, epochs=12))
        train(app, window)
        window.tabs.setCurrentWidget(window.plots)
        plot_tabs = window.plots.findChild(QTabWidget)
        for index, (name, dock) in enumerate((("02-cooking-loss.png", "training"),
                                              ("03-cooking-gradient-norms.png", "architecture"),
                                              ("04-cooking-gradient-flow.png", "dataset"))):
            plot_tabs.setCurrentIndex(index)
            window.docks[dock].raise_()
            save(app, window, name)
        plot_tabs.setCurrentIndex(0)

        window.tabs.setCurrentWidget(window.predict_page)
        window.predict_panel.predict_sample(0)
        save(app, window, "05-predict.png")

        if not args.skip_compare:
            # SimpleRNN vs LSTM vs GRU on the adding problem: the vanishing gradient, compared.
            window.document.open_example(EXAMPLES_DIR / "adding_lstm.json")
            project = window.current_project()
            window.training_panel.set_spec(dataclasses.replace(project.training, epochs=10))
            window.docks["architecture"].raise_()
            started = time.monotonic()
            train(app, window, compare=True, timeout_s=1800)
            print(f"compare cells took {time.monotonic() - started:.0f} s", flush=True)
            save(app, window, "06-compare-runs.png")
            window.tabs.setCurrentWidget(window.plots)
            plot_tabs.setCurrentIndex(0)
            save(app, window, "07-compare-loss.png")
            plot_tabs.setCurrentIndex(2)
            save(app, window, "08-compare-gradient-flow.png")
        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
