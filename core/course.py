"""Changing course: the optimizer's settings during a run, and its state from one run to the next.

While a run is paused the learning rate and the clipping may change (``CHANGEABLE``); the
trainer gives the new values to the live optimizer before the next batch (``apply_settings``)
and reports where that happened, labelled as ``describe_changes`` words it ("lr 0.01 -> 0.001").
Nothing is rebuilt, so Adam's moments and the iteration count carry on: the learning rate is a
variable every step reads, and the clipping is a plain attribute that
``BaseOptimizer._clip_gradients`` reads while the train step is traced, so a clipping change
needs the step traced again (the caller's ``make_train_function(force=True)``), not a new
optimizer.

Continuing a trained model keeps its optimizer state as well: ``optimizer_state`` is that state
in a form that crosses processes and files (the optimizer's config and its variables by name),
``carry_state`` puts it into the fresh optimizer of the next run when the kind matches, and
``optimizer_from_state`` rebuilds the optimizer a run ended with (its learning rate and clipping
included, which may differ from the project's after a change of course).

Keras is imported inside the functions: importing this module loads no TensorFlow.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from core.formatting import format_number

CHANGEABLE = ("learning_rate", "clip_mode", "clip_value")
OPTIMIZER_TITLES = {"adam": "Adam", "rmsprop": "RMSprop", "sgd": "SGD"}
_CLIP_ATTRIBUTES = {"norm": "clipnorm", "global_norm": "global_clipnorm", "value": "clipvalue"}


# --- changes while paused --------------------------------------------------------------------


def pending_changes(current, edited) -> dict[str, Any]:
    """The new values of the changeable fields that ``edited`` (a TrainingSpec) sets differently.

    A threshold edited while clipping is off changes nothing and is left out. The edited spec is
    validated first (SpecError naming the field).
    """
    edited.validate()
    changes = {name: getattr(edited, name) for name in CHANGEABLE if getattr(edited, name) != getattr(current, name)}
    if edited.clip_mode == "none":
        changes.pop("clip_value", None)
    return changes


def changed_spec(current, changes: dict[str, Any]):
    """``current`` with ``changes`` (field -> new value) applied and validated."""
    unknown = sorted(set(changes) - set(CHANGEABLE))
    if unknown:
        raise ValueError(f"only {', '.join(CHANGEABLE)} can change during a run, not {', '.join(unknown)}")
    after = dataclasses.replace(current, **changes)
    after.validate()
    return after


def describe_clipping(spec) -> str:
    """"none", "norm 1", "global norm 0.5", "value 2"."""
    if spec.clip_mode == "none":
        return "none"
    return f"{spec.clip_mode.replace('_', ' ')} {format_number(spec.clip_value)}"


def describe_changes(before, after) -> str:
    """"lr 0.01 -> 0.001", "clipping none -> global norm 1", or both, for a plot label."""
    parts = []
    if before.learning_rate != after.learning_rate:
        parts.append(f"lr {format_number(before.learning_rate)} -> {format_number(after.learning_rate)}")
    if describe_clipping(before) != describe_clipping(after):
        parts.append(f"clipping {describe_clipping(before)} -> {describe_clipping(after)}")
    return ", ".join(parts)


def apply_settings(optimizer, spec) -> bool:
    """Give a live optimizer ``spec``'s learning rate and clipping; True when the clipping
    changed (then the train step must be traced again to use it)."""
    optimizer.learning_rate = float(spec.learning_rate)
    wanted = {attribute: None for attribute in _CLIP_ATTRIBUTES.values()}
    if spec.clip_mode != "none":
        wanted[_CLIP_ATTRIBUTES[spec.clip_mode]] = float(spec.clip_value)
    changed = any(getattr(optimizer, attribute, None) != value for attribute, value in wanted.items())
    for attribute, value in wanted.items():
        setattr(optimizer, attribute, value)
    return changed


# --- state from one run to the next ----------------------------------------------------------


def optimizer_kind(optimizer) -> str | None:
    """"adam", "rmsprop" or "sgd" for the optimizers RNN Lab makes; None for anything else."""
    if optimizer is None:
        return None
    kind = type(optimizer).__name__.lower()
    return kind if kind in OPTIMIZER_TITLES else None


def optimizer_key(variable) -> str:
    """An optimizer variable's name without its per-process prefix, to match it across processes.

    "adam_3/rnn_1_lstm_cell_kernel_momentum" -> "rnn_1_lstm_cell_kernel_momentum": the prefix is
    a name counter, the rest comes from our fixed layer names.
    """
    return variable.path.split("/", 1)[-1]


def optimizer_state(optimizer) -> dict[str, Any] | None:
    """The state of a built optimizer as plain data (kind, Keras config, variables by name), or
    None when there is none to carry (no optimizer, not built, a kind RNN Lab does not make)."""
    kind = optimizer_kind(optimizer)
    if kind is None or not getattr(optimizer, "built", False) or not optimizer.variables:
        return None
    import keras

    return {
        "kind": kind,
        "config": keras.optimizers.serialize(optimizer),
        "variables": [(optimizer_key(v), v.numpy()) for v in optimizer.variables],
    }


def optimizer_from_state(state: dict[str, Any]):
    """A new optimizer with the settings ``state`` was taken with (not yet built)."""
    import keras

    return keras.optimizers.deserialize(state["config"])


def restore_state(optimizer, variables, state: dict[str, Any] | None) -> bool:
    """Build ``optimizer`` for ``variables`` and load ``state`` into it; False (and the optimizer
    left fresh) when the state belongs to another kind or another layout of weights."""
    if not state or optimizer_kind(optimizer) != state.get("kind"):
        return False
    if not optimizer.built:
        optimizer.build(variables)
    saved = state["variables"]
    values = dict(saved)
    ours = list(optimizer.variables)
    if len(values) == len(saved) == len(ours) and all(optimizer_key(v) in values for v in ours):
        pairs = [(v, values[optimizer_key(v)]) for v in ours]
    elif len(ours) == len(saved):
        pairs = [(v, value) for v, (_, value) in zip(ours, saved)]
    else:
        return False
    if not all(tuple(v.shape) == tuple(getattr(value, "shape", ())) for v, value in pairs):
        return False
    for variable, value in pairs:
        variable.assign(value)
    return True


def carry_state(previous, optimizer, variables, spec) -> str:
    """Continue ``previous`` (the trained model's optimizer, or None) in ``optimizer``, the new
    run's one made for ``spec``; return a sentence for the user saying which happened.

    The moments and the iteration count carry over; the learning rate is the spec's (what the
    Training panel shows), as is the clipping ``optimizer`` was made with.
    """
    title = OPTIMIZER_TITLES.get(spec.optimizer, spec.optimizer)
    state = optimizer_state(previous)
    if state is None:
        return (f"Continuing with a fresh {title} optimizer: the model carries no optimizer state "
                "(a model imported from .keras, or saved before RNN Lab kept it).")
    if state["kind"] != spec.optimizer:
        return (f"Continuing with a fresh {title} optimizer: the model was trained with "
                f"{OPTIMIZER_TITLES[state['kind']]}, whose state does not carry over.")
    if not restore_state(optimizer, variables, state):
        return (f"Continuing with a fresh {title} optimizer: the saved state does not fit these "
                "settings (for SGD, the momentum changed between zero and non-zero).")
    optimizer.learning_rate = float(spec.learning_rate)
    steps = int(optimizer.iterations.numpy())
    return f"Continuing {title} from update {steps}: its moments and step count carry over."
