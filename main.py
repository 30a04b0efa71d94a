"""RNN Lab: without arguments open the window; with arguments run the headless command line.

    python main.py                      # the window
    python main.py model.rnnlab         # the window, opening a model bundle or a project (.json)
    python main.py SWEEP_FOLDER         # the window, showing a sweep's results (main.py sweep --out)
    python main.py --help               # train / predict / inspect / export
"""

import multiprocessing
import os
import sys


def main() -> None:
    # In the frozen app (make bundle) the training process is this executable started again by
    # multiprocessing; this hands it over before anything else runs. A no-op otherwise.
    multiprocessing.freeze_support()
    if len(sys.argv) > 1 and not _files_to_open(sys.argv[1:]):
        # The command line never imports Qt: only core.cli is loaded here.
        from core.cli import main as cli_main

        sys.exit(cli_main(sys.argv[1:]))
    # The preflight runs before any Qt import: a missing system library must produce a message,
    # not Qt's abort.
    from desktop_app.launch import launch

    sys.exit(launch())


def _files_to_open(args: list[str]) -> bool:
    """Only project or model files (a launcher's "Open with", the .desktop entry's %f) or sweep
    output folders: the window opens them. A command line always starts with its command."""
    return all(_sweep_folder(arg) or (arg.lower().endswith((".json", ".rnnlab")) and os.path.isfile(arg))
               for arg in args)


def _sweep_folder(arg: str) -> bool:
    from core.sweeps.results import SPEC_FILE

    return os.path.isfile(os.path.join(arg, SPEC_FILE))


if __name__ == "__main__":
    main()
