"""RNN Lab: without arguments open the window; with arguments run the headless command line.

    python main.py                      # the window
    python main.py --help               # train / predict / inspect / export
"""

import sys


def main() -> None:
    if len(sys.argv) > 1:
        # The command line never imports Qt: only core.cli is loaded here.
        from core.cli import main as cli_main

        sys.exit(cli_main(sys.argv[1:]))
    # The preflight runs before any Qt import: a missing system library must produce a message,
    # not Qt's abort.
    from desktop_app.launch import launch

    sys.exit(launch())


if __name__ == "__main__":
    main()
