"""Headless command line: train, predict, inspect and export without the window.

    python main.py train PROJECT.json --out MODEL.rnnlab [--set FIELD=VALUE ...] [--json]
    python main.py predict MODEL.rnnlab [--sample N | --input FILE] [--json]
    python main.py inspect MODEL.rnnlab|MODEL.keras [--json]
    python main.py export MODEL.rnnlab OUT.keras|OUT.onnx|LOGDIR [--format keras|onnx|tensorboard]
    python main.py generate MODEL.rnnlab [--seed TEXT | --seed-sample N] [--length N] [--temperature T] [--json]
    python main.py evaluate MODEL.rnnlab [--split val|test] [--season ROWS] [--json]
    python main.py explain MODEL.rnnlab [--sample N | --input FILE] [--json]

Exit codes: 0 done, 1 a file or setting cannot be used, 2 bad command-line arguments, 130
interrupted. Expected problems print one line ``error: ...`` on stderr, never a traceback. With
``--json`` the last line of stdout is one JSON object.

This module is the parser and the dispatch; each command lives in its own module with an
``add_parser(sub)`` and its handler (cli_train, cli_predict, cli_inspect, cli_export,
evaluate_cli, explain), and what they share (printing, argument types, loading a bundle) in
cli_common. ``train`` writes the bundle whenever training ran: a first Ctrl-C stops after the
current batch and saves, and a run halted by a NaN loss saves its last finite weights, prints a
warning on stderr and exits 0; ``stop_reason`` ("completed", "stopped", "early_stopping", "nan")
tells them apart.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

# Before TensorFlow loads (it is imported lazily by the commands): keep its C++ chatter off.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from core import cli_export, cli_inspect, cli_predict, cli_train, evaluate_cli, explain, sweep_cli  # noqa: E402
from core.cli_common import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, error  # noqa: E402
from core.errors import RNNLabError  # noqa: E402

PROG = "main.py"


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad argument as one line instead of usage text and exit."""

    def error(self, message: str):  # noqa: D401 - argparse API
        raise _UsageError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="RNN Lab from the command line. Without arguments, main.py opens the window.",
        epilog="Project fields are documented in docs/PROJECT_FIELDS.md.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    # The order of --help's command list.
    cli_train.add_parser(sub)
    cli_predict.add_predict_parser(sub)
    cli_inspect.add_parser(sub)
    cli_predict.add_generate_parser(sub)
    cli_export.add_parser(sub)
    evaluate_cli.add_parser(sub)
    explain.add_parser(sub)
    sweep_cli.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit code (0 ok, 1 bad file/setting, 2 bad arguments)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except _UsageError as exc:
        error(f"{exc} (see {PROG} --help)")
        return EXIT_USAGE
    except SystemExit as exc:  # --help and --version exit through argparse
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    if args.command is None:
        error(f"{PROG}: a command is required: train, predict, inspect, export, generate, evaluate or explain (see {PROG} --help)")
        return EXIT_USAGE
    try:
        return args.handler(args)
    except RNNLabError as exc:
        error(str(exc))
        return EXIT_FAILED
    except KeyboardInterrupt:
        error("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # Output piped into `head` and the like: the reader left, nothing to report.
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
