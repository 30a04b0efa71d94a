"""What to change when a run goes wrong: fixes as project-field changes, each with its reason.

A fix is one or more ``section.field = value`` changes (the names ``--set`` and ``with_field``
take) and a sentence saying why it helps, in the lecture's words where the lecture has them
("Issues and Solutions": clip the gradient or use RMSprop against exploding gradients, ReLU or an
LSTM/GRU against vanishing ones). Every rule reads the run's own project and never proposes what
is already set: no "try an LSTM" for an LSTM, no "enable clipping" when clipping is on.

The run diagnosis (``core.diagnosis``) and the gradient verdicts' hints (``core.diagnostics``)
both take their fixes from here, so the window, its hints and the command line agree.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from core.datasets import get_task
from core.errors import RNNLabError
from core.specs import Project, field_info

# Activations with no upper bound: the state can grow from step to step.
UNBOUNDED = ("relu", "linear", "elu", "gelu")
GATED = ("LSTM", "GRU")
# What an adaptive optimizer starts from (the Keras default for Adam and RMSprop).
ADAPTIVE_RATE = 0.001
MAX_DROPOUT = 0.5


@dataclass(frozen=True)
class Fix:
    """``changes``: (dotted field, value) pairs applied together; ``why``: the reason in words."""

    changes: tuple[tuple[str, Any], ...]
    why: str

    @property
    def field(self) -> str:
        return self.changes[0][0]

    @property
    def value(self) -> Any:
        return self.changes[0][1]

    @property
    def assignment(self) -> str:
        """As ``--set`` takes it: "model.cell=LSTM, training.learning_rate=0.001"."""
        return ", ".join(f"{field}={_json_value(value)}" for field, value in self.changes)

    @property
    def cli_args(self) -> str:
        """As the command line takes it: "--set model.cell=LSTM --set training.epochs=60"."""
        return " ".join(f"--set {field}={_json_value(value)}" for field, value in self.changes)

    @property
    def label(self) -> str:
        """As the panels name it: "Cell → LSTM, Learning rate → 0.001"."""
        return ", ".join(f"{_field_label(field)} → {_json_value(value)}" for field, value in self.changes)

    def apply(self, project: Project) -> Project:
        """``project`` with every change made (validated: a change it refuses raises SpecError)."""
        for field, value in self.changes:
            project = project.with_field(field, value)
        return project

    def to_dict(self) -> dict[str, Any]:
        """{"field", "value", "why"}; a fix of several changes lists the others under "also"."""
        data: dict[str, Any] = {"field": self.field, "value": self.value, "why": self.why}
        if len(self.changes) > 1:
            data["also"] = [{"field": field, "value": value} for field, value in self.changes[1:]]
        return data


def _json_value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _field_label(dotted: str) -> str:
    try:
        return field_info(dotted).label
    except KeyError:  # dataset.params.NAME: a task parameter
        return dotted.rsplit(".", 1)[-1]


def _current(project: Project, dotted: str) -> Any:
    node: Any = project.to_dict()
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _task_param(project: Project, name: str) -> Any:
    """A task parameter's value, its default filled in (None if the task has no such parameter)."""
    try:
        return get_task(project.dataset.task).validate_params(project.dataset.params).get(name)
    except RNNLabError:
        return None


def make_fixes(project: Project, candidates: Iterable[tuple[dict[str, Any], str]]) -> list[Fix]:
    """The candidates ({field: value}, why) that change something and that the project accepts.

    A change to what is already set is dropped from its fix, and a fix left with no change is
    dropped; so is one the project refuses (a value out of range) and a repeat of an earlier one.
    """
    fixes: list[Fix] = []
    for changes, why in candidates:
        wanted = tuple((field, value) for field, value in changes.items() if _current(project, field) != value)
        if not wanted or any(fix.changes == wanted for fix in fixes):
            continue
        try:
            Fix(wanted, why).apply(project)
        except RNNLabError:
            continue
        fixes.append(Fix(wanted, why))
    return fixes


def nice(value: float) -> float:
    """One significant digit, so a proposed rate reads 0.05 rather than 0.049999."""
    return float(f"{value:.1g}")


# --- the rules, one per problem ----------------------------------------------------------------


def exploding_fixes(project: Project) -> list[Fix]:
    model, training = project.model, project.training
    candidates = []
    if training.clip_mode == "none":
        change: dict[str, Any] = {"training.clip_mode": "global_norm"}
        if training.clip_value > 1:
            change["training.clip_value"] = 1.0
        candidates.append((change, "Clip the gradient using a threshold (lecture): whenever the gradient is "
                                   "longer than the threshold it is scaled down to it, so one wild batch "
                                   "cannot throw the weights far off."))
    elif training.clip_value > 1:
        candidates.append(({"training.clip_value": 1.0}, "A lower clipping threshold caps every step harder."))
    if training.optimizer == "sgd":
        candidates.append(({"training.optimizer": "rmsprop", "training.learning_rate": ADAPTIVE_RATE},
                           "Use the RMSprop optimizer to adjust the learning rate (lecture): it divides each "
                           "weight's step by the size of its recent gradients, so a burst of large gradients "
                           "does not make a huge step."))
    candidates.append(({"training.learning_rate": nice(training.learning_rate / 10)},
                       "Each step moves the weights by learning rate × gradient: a tenth of the rate keeps a "
                       "large gradient from throwing them far off."))
    if model.activation in UNBOUNDED:
        candidates.append(({"model.activation": "tanh"},
                           f"{model.activation} has no upper bound, so h(t) can grow at every step; tanh keeps "
                           "it within (-1, 1)."))
    return make_fixes(project, candidates)


def vanishing_fixes(project: Project) -> list[Fix]:
    model, training = project.model, project.training
    candidates = []
    if model.cell == "SimpleRNN":
        candidates.append(({"model.cell": "LSTM"},
                           "A different network such as an LSTM (lecture): its cell state carries the past "
                           "forward through a path its forget gate keeps open, so the gradient reaches the "
                           "early steps."))
        candidates.append(({"model.cell": "GRU"},
                           "A GRU keeps the gradient alive like the LSTM, with two gates and fewer weights."))
        if model.activation in ("tanh", "sigmoid") and training.clip_mode != "none":
            candidates.append(({"model.activation": "relu"},
                               "Use the ReLU activation (lecture): its slope is 1 for positive inputs, so the "
                               "gradient is not squashed at every step back (clipping is on and keeps it "
                               "from exploding)."))
    if model.activation == "sigmoid":
        candidates.append(({"model.activation": "tanh"},
                           "sigmoid's slope is at most 0.25, so every step back shrinks the gradient at least "
                           "fourfold; tanh's slope reaches 1."))
    if model.cell in GATED:
        candidates.append(({"training.epochs": min(2 * training.epochs, 100000)},
                           f"An {model.cell} starts with its gates half open and its gradient fading over the "
                           "steps; it reaches the early steps once the cell learns to keep what matters, which "
                           "can take several epochs (train longer and watch Gradient flow flatten)."))
    return make_fixes(project, candidates)


def dead_relu_fixes(project: Project) -> list[Fix]:
    training = project.training
    candidates = []
    if training.optimizer == "sgd":
        # First: SGD's big early steps are what pushed the units there (tanh with the same steps
        # swings wildly instead).
        candidates.append(({"training.optimizer": "adam", "training.learning_rate": ADAPTIVE_RATE},
                           "Adam takes steps scaled to each weight's recent gradients, so no early step is "
                           "large enough to push units into the flat part of the ReLU for good."))
    candidates.append(({"model.activation": "tanh"},
                       "A ReLU unit whose input is negative for every sample outputs 0 and gets no gradient, so "
                       "it never comes back; tanh has a slope everywhere."))
    candidates.append(({"training.learning_rate": nice(training.learning_rate / 10)},
                       "Large steps push the units' inputs far below 0, where a ReLU is flat: a tenth of "
                       "the rate keeps them alive."))
    return make_fixes(project, candidates)


def saturated_gate_fixes(project: Project) -> list[Fix]:
    return _smaller_steps(project, "Large steps push the gates' inputs far from 0, where the sigmoid is flat and "
                                   "passes almost no gradient: the gates stop learning.",
                          "Clipping caps each step, so no single batch drives the gates into saturation.")


def overfitting_fixes(project: Project) -> list[Fix]:
    model, training = project.model, project.training
    candidates = []
    if model.dropout < MAX_DROPOUT:
        candidates.append(({"model.dropout": max(0.2, round(model.dropout + 0.1, 2))},
                           "Dropout hides a random part of the inputs at every step, so the net cannot "
                           "memorise the training samples and has to learn the rule."))
    if not training.early_stopping:
        candidates.append(({"training.early_stopping": True},
                           "Stop once the validation loss has not improved for a few epochs, before the "
                           "net memorises the training samples."))
    samples = _task_param(project, "samples")
    if isinstance(samples, int):
        candidates.append(({"dataset.params.samples": 2 * samples},
                           "Twice the samples are harder to memorise and teach the rule better."))
    if model.units >= 8:
        candidates.append(({"model.units": model.units // 2},
                           "Fewer units have fewer weights to memorise the training samples with."))
    return make_fixes(project, candidates)


def learning_rate_high_fixes(project: Project) -> list[Fix]:
    return _smaller_steps(project, "The loss jumps about instead of settling: each step overshoots the valley it "
                                   "aims for. A tenth of the rate takes smaller steps.",
                          "Clipping caps the steps of the batches with the largest gradients.")


def _smaller_steps(project: Project, why_lower_rate: str, why_clip: str) -> list[Fix]:
    """A tenth of the learning rate, and clipping where there is none: for steps that are too large."""
    training = project.training
    candidates = [({"training.learning_rate": nice(training.learning_rate / 10)}, why_lower_rate)]
    if training.clip_mode == "none":
        candidates.append(({"training.clip_mode": "global_norm"}, why_clip))
    return make_fixes(project, candidates)


def learning_rate_low_fixes(project: Project) -> list[Fix]:
    training = project.training
    return make_fixes(project, [({"training.learning_rate": nice(training.learning_rate * 10)},
                                 "Each step moves the weights by learning rate × gradient: with this rate the "
                                 "loss barely moves in the epochs given. Ten times the rate gets somewhere.")])


def not_learning_fixes(project: Project, *, long_sequences: bool, still_falling: bool) -> list[Fix]:
    model, training = project.model, project.training
    candidates = []
    if training.optimizer == "sgd":
        candidates.append(({"training.optimizer": "adam", "training.learning_rate": ADAPTIVE_RATE},
                           "Adam scales each weight's step to its own gradients, so one learning rate suits "
                           "every weight; plain SGD with one rate for all often stalls."))
    if model.cell == "SimpleRNN" and long_sequences:
        candidates.append(({"model.cell": "LSTM"},
                           "Over long sequences a SimpleRNN's gradient vanishes before it reaches the steps "
                           "that matter; an LSTM keeps it alive (lecture)."))
    if still_falling:
        candidates.append(({"training.epochs": min(2 * training.epochs, 100000)},
                           "The loss was still falling when the run ended: it needs more epochs."))
    if model.units < 64:
        candidates.append(({"model.units": min(2 * model.units, 4096)},
                           "More units give the hidden state room to remember more."))
    return make_fixes(project, candidates)
