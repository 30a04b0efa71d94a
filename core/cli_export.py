"""``main.py export MODEL OUT [--format keras|onnx|tensorboard]``: the model for other tools.

The writing lives in ``core.exports`` (shared with the window's File › Export); this module is
the command's arguments and its output, one line per file written.
"""

from __future__ import annotations

from typing import Any

from core.cli_common import EXIT_OK, add_model_command, load_tensorflow_for, say
from core.exports import EXPORT_FORMATS

EXPORT_DESCRIPTION = (
    "Write the model as a plain .keras file (keras.saving.load_model reads it without "
    "RNN Lab), as ONNX (checked against Keras with onnxruntime), or its training history "
    "as TensorBoard event files in a folder. A model file gets OUT.data.json next to it: "
    "the normalisation and names its inputs and outputs need."
)


def add_parser(sub: Any) -> None:
    """Register the ``export`` command on the main parser's subcommands."""
    export = add_model_command(
        sub, "export", run, help_text="write the model for other tools: plain Keras, ONNX or TensorBoard",
        description=EXPORT_DESCRIPTION,
        model_help="model bundle (.rnnlab) or plain .keras model",
    )
    export.add_argument("out", metavar="OUT", help="OUT.keras, OUT.onnx, or a folder with --format tensorboard")
    export.add_argument("--format", choices=EXPORT_FORMATS, default=None,
                        help="default: from OUT's suffix (.keras or .onnx)")


def run(args) -> int:
    from core.exports import export_file, resolve_format

    fmt = resolve_format(args.out, args.format)
    load_tensorflow_for(args.model)
    for line in export_file(args.model, args.out, fmt):
        say(line)
    return EXIT_OK
