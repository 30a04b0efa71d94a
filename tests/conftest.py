"""Settings for every test process and every process a test starts (training children, the CLI).

The suite runs in two pytest workers on two cores, and most window tests train in a child process
beside them. TensorFlow's default pools (a thread per core for the work inside one op, as many for
running ops side by side) would then put several times as many busy threads as cores on the
machine, where the tests' tiny models gain nothing from threads and lose time to the switching:
measured, the CPU-heavy test_training.py took 89 s instead of 137 s with one thread of each. The
variables are read by TensorFlow when it starts, so they are set before anything imports it, and
children inherit them. The app itself keeps TensorFlow's defaults.
"""

import gc
import os

for _name in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_name, "1")


# Seconds each of the slowest test files took in one worker (whole suite, two workers, 2026-12-01).
# pytest-xdist hands out whole files (--dist loadfile), by default those with the most tests first,
# which left the long single-test files (the real-X window, a killed window's recovery) and the
# Ray sweeps for the end, where one worker finished them while the other sat idle for ~20 s.
# Longest first instead: the last files handed out are short, and the sweeps, which mostly wait
# on Ray's own processes, run beside the CPU-heavy files. Other files follow in collection order.
_SLOW_FILES_S = {
    "core/test_sweeps_ray.py": 88, "core/test_training.py": 60, "desktop_app/test_main_window.py": 42,
    "desktop_app/test_window_recovery.py": 37, "core/test_runner.py": 32, "desktop_app/test_stress_controls.py": 30,
    "desktop_app/test_window_finish.py": 25, "desktop_app/test_sweeps_dialog.py": 24,
    "desktop_app/test_user_flows.py": 24, "core/test_memory_estimate.py": 22, "core/test_cli.py": 21,
    "core/test_connectivity.py": 19, "desktop_app/test_real_x.py": 19, "desktop_app/test_diagnosis_panel.py": 17,
    "core/test_sweeps_local.py": 16, "desktop_app/test_worker.py": 15, "core/test_diagnostics.py": 15,
    "desktop_app/test_predict_panel.py": 15,
}


def pytest_configure(config):
    if hasattr(config.option, "loadscopereorder"):  # pytest-xdist's "most tests first"
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(config, items):
    tests_dir = os.path.dirname(os.path.abspath(__file__))

    def seconds(item) -> float:
        return _SLOW_FILES_S.get(os.path.relpath(str(item.path), tests_dir).replace(os.sep, "/"), 0)

    items.sort(key=seconds, reverse=True)  # stable: a file's tests keep their order


def pytest_collection_finish(session):
    # Collecting imported Keras and TensorFlow (~350,000 objects) in each worker. Every full
    # collection walked them all again for nothing (they live as long as the worker): about 2 % of
    # a worker's time, measured with gc.callbacks. The window and the fork server freeze them the
    # same way after their import (desktop_app/tf_loader.py, core/child_preload.py).
    gc.freeze()
