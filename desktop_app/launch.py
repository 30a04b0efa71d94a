"""The window's entry point (``python main.py`` and the ``rnn-lab`` launcher).

Order matters: the preflight runs before anything loads Qt's platform plugin, and the native log
is redirected before TensorFlow (in the window or a training process) can write to the terminal.
``RNN_LAB_NATIVE_STDERR=1`` keeps the native libraries' lines in the terminal, for debugging.
"""

from __future__ import annotations

import os

from desktop_app import native_log, preflight


def launch() -> int:
    code = preflight.run()
    if code is not None:
        return code
    native_log.quiet_environment()
    if os.environ.get("RNN_LAB_NATIVE_STDERR") != "1":
        native_log.redirect_native_stderr(preflight.state_dir() / "native.log")
    from desktop_app.app import main as app_main

    return app_main()


if __name__ == "__main__":
    raise SystemExit(launch())
