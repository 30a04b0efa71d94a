"""What every ``main.py`` command shares: exit codes, printing, argument types, loading TensorFlow
and a bundle with its data, and reading a sample or a typed sequence.

Printing follows one contract: results go to stdout one flushed line at a time (a pipe sees
progress as it happens), problems go to stderr as one line ``error: ...`` or ``warning: ...``,
and ``--json`` output is made of plain JSON (no NaN, no numpy types). Nothing here imports
TensorFlow or numpy at module level, so ``--help`` stays instant.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.errors import DatasetError
from core.files import read_user_text

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


# --- output ---------------------------------------------------------------------------------


def say(text: str) -> None:
    try:
        print(text, flush=True)
    except UnicodeEncodeError:
        # A non-UTF-8 terminal or pipe: the summary's box drawing and typed text degrade to "?".
        encoding = getattr(sys.stdout, "encoding", None) or "ascii"
        print(text.encode(encoding, errors="replace").decode(encoding), flush=True)


def error(text: str) -> None:
    # One line: a message with newlines (e.g. from Keras) is folded.
    line = " ".join(str(text).split())
    if not line.startswith(("error:", "warning:")):
        line = "error: " + line
    print(line, file=sys.stderr, flush=True)


def fmt(value: Any) -> str:
    if value is None:
        return "-"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(number):
        return str(number)
    return f"{number:.4g}"


def finite(value: Any) -> Any:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return value
    return number if math.isfinite(number) else None


def shorten(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def jsonable(value: Any) -> Any:
    """JSON without NaN/Infinity (not JSON) and without numpy types."""
    import numpy as np

    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def flow_array(flow: Any):
    """A gradient-flow profile as a flat float array (empty when there is none)."""
    import numpy as np

    if flow is None:
        return np.zeros(0)
    return np.asarray(flow, dtype=float).reshape(-1)


def say_verdicts(project, history, info, y_train=None) -> None:
    """The gradient verdicts and the run's diagnosis with its fixes, as the window shows them."""
    from core.diagnosis import report_lines

    for line in report_lines(project, history, info, y_train):
        say(line)


# --- argument types -------------------------------------------------------------------------


def whole_number(minimum: int, what: str = "a whole number") -> Callable[[str], int]:
    """An argparse type: a whole number >= ``minimum``, refused as "expected WHAT >= MINIMUM"."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum:
            raise argparse.ArgumentTypeError(f"expected {what} >= {minimum}, received {text!r}")
        return value

    return parse


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, received {text!r}")
    return value


non_negative_int = whole_number(0)
positive_int = whole_number(1)


# --- a model, its data and a sample ---------------------------------------------------------


def add_model_command(sub: Any, name: str, handler: Callable[[Any], int], *, help_text: str, description: str,
                      model_help: str = "model bundle (.rnnlab)") -> argparse.ArgumentParser:
    """A command that reads one model file: its parser, with the MODEL_FILE argument first."""
    parser = sub.add_parser(name, help=help_text, description=description)
    parser.add_argument("model", metavar="MODEL_FILE", help=model_help)
    parser.set_defaults(handler=handler)
    return parser


def add_sequence_source(parser: argparse.ArgumentParser) -> None:
    """``--sample N`` or ``--input FILE``: the sequence a command shows to the model."""
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--sample", type=non_negative_int, metavar="N",
                        help="index of a validation sample of the project's dataset (default 0)")
    source.add_argument("--input", metavar="FILE",
                        help="text file holding one input sequence as typed in the window ('-': stdin)")


def open_bundle(path: str):
    """The bundle at ``path``; TensorFlow is loaded only once the file passed the checks that need none."""
    from core.persistence import load_bundle

    load_tensorflow_for(path)
    return load_bundle(path)


def bundle_data(bundle):
    """The data of the bundle's own project, built again (a CSV must still be where the project says)."""
    from core.datasets import build_dataset

    return build_dataset(bundle.project.dataset, bundle.project.model.io_mode)


def seed_sample(data, index: int) -> tuple[Any, Any, str]:
    """Sample ``index`` of the validation rows, or of the training rows when there are none."""
    split = "val" if data.num_val else "train"
    x, y = data.sample(index, split)
    return x, y, f"{'validation' if split == 'val' else 'training'} sample {index}"


def chosen_sequence(args, bundle) -> tuple[Any, Any, str]:
    """The sequence ``--input FILE`` (typed) or ``--sample N`` names: (x, its target or None, where it came from)."""
    if args.input is not None:
        return bundle.info.encode_input(read_input(args.input)), None, f"input from {args.input}"
    return seed_sample(bundle_data(bundle), args.sample or 0)


def read_input(name: str) -> str:
    text = sys.stdin.read() if name == "-" else read_user_text(Path(name), "input file", DatasetError)
    text = text.rstrip("\r\n")
    if not text.strip():
        raise DatasetError(f"{name}: the input is empty; write one sequence as you would type it in the window.")
    return text


# --- TensorFlow -----------------------------------------------------------------------------


def load_tensorflow_for(model_path: str) -> None:
    # A missing file, and one the loaders refuse before Keras reads it (a zip bomb, a model too
    # big to build), is reported without paying for the TensorFlow import.
    if Path(model_path).is_file():
        from core.bundles import check_model_file

        check_model_file(model_path)
        load_tensorflow()


def load_tensorflow() -> None:
    """Import TensorFlow and start its runtime with the start-up chatter kept off stderr
    (core.native_chatter: replayed if the import fails), so a script's stderr holds only the
    lines that matter."""
    if "tensorflow" in sys.modules:
        return
    from core.native_chatter import native_stderr_held

    with native_stderr_held():
        import keras  # noqa: F401
        import tensorflow as tf

        tf.config.list_physical_devices("GPU")
