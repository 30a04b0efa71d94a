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
    from desktop_app.app import main as app_main

    sys.exit(app_main())


if __name__ == "__main__":
    main()
