"""Does a trained model fit a dataset? One answer for importing, continuing and predicting.

A model trained on one dataset can be fed another only if the arrays have the same shapes: the
window asks before it imports a ``.keras`` file, before it continues training a model on the
panels' data and before it hands that data to the Predict tab's sample picker. Nothing here
imports TensorFlow; a Keras model is only asked for its ``input_shape`` and ``output_shape``.
"""

from __future__ import annotations

from typing import Any

from core.datasets.base import CLASSIFICATION, DataInfo
from core.errors import ModelFileError


def dims_fit(expected: tuple, got: tuple) -> bool:
    """Same rank and every dimension equal, where None (a size the model leaves open) matches any."""
    return len(expected) == len(got) and all(e is None or g is None or e == g for e, g in zip(expected, got))


def shape_text(shape: tuple) -> str:
    """A per-sample shape as users read it, "any" where the model leaves a size open: (any, 5)."""
    parts = ["any" if d is None else str(d) for d in shape]
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


def targets_fit(model_output: tuple, target: tuple, kind: str) -> bool:
    """Whether per-sample targets of shape ``target`` train a model with this per-sample output."""
    if kind == CLASSIFICATION:
        return dims_fit(model_output[:-1], target)  # class ids, one per output step
    # A single regression value may come without its trailing axis of 1.
    return dims_fit(model_output, target) or (model_output[-1:] == (1,) and dims_fit(model_output[:-1], target))


def check_model_fits(model: Any, info: DataInfo, *, source: str = "") -> None:
    """Raise ModelFileError unless ``model`` takes ``info``'s inputs and gives its outputs.

    ``source`` (usually the file the model came from) starts the message. A dimension the model
    leaves open (None) accepts any size.
    """
    prefix = f"{source}: " if source else ""
    expected_in = tuple(info.input_shape)
    try:
        got_in = tuple(model.input_shape[1:])
        got_out = model.output_shape[-1]
    except (AttributeError, TypeError, ValueError):
        raise ModelFileError(f"{prefix}the model has no single input and output RNN Lab can feed.") from None
    if not dims_fit(got_in, expected_in):
        raise ModelFileError(
            f"{prefix}the model expects inputs of shape {shape_text(got_in)}, but the dataset gives {expected_in}: "
            "choose the dataset the model was trained on."
        )
    if got_out is not None and got_out != info.output_dim:
        raise ModelFileError(
            f"{prefix}the model has {got_out} outputs per step, but the dataset needs {info.output_dim}."
        )


def same_shapes(a: DataInfo, b: DataInfo) -> bool:
    """Whether a model built for ``a`` takes ``b``'s arrays unchanged (and means the same by them)."""
    return (a.io_mode == b.io_mode and a.kind == b.kind and a.output_dim == b.output_dim
            and tuple(a.input_shape) == tuple(b.input_shape) and tuple(a.output_shape) == tuple(b.output_shape))


def same_dataset_layout(a: DataInfo, b: DataInfo) -> bool:
    """``same_shapes`` for the same task, so that samples of one decode as samples of the other."""
    return a.task == b.task and same_shapes(a, b)
