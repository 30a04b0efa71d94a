"""What went wrong in a run, the numbers that show it, and what to change: the run's diagnosis.

``diagnose(project, history, info)`` reads everything a run leaves behind (gradient norms per
batch, the gradient-flow profile per epoch, a NaN stop, training and validation losses, and where
the history has them the probe's hidden states and gates) and returns findings: exploding or
vanishing gradients, saturated gates, dead ReLU units, a learning rate too high or too low, a run
that does not learn (stuck near the untrained baseline) or one that overfits. Each finding carries
its evidence in numbers and the fixes of ``core.fixes``, which take the run's settings into account.

The untrained baseline is what a net that ignores its input scores: for classes, always
answering with the class shares (cross-entropy = their entropy, ln K for K equal classes; accuracy
= the largest share, 1/K); for numbers, always answering the training mean (MSE = the targets'
variance, about 1 for normalised targets). The window draws it as a line on the score plots.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.datasets.base import CLASSIFICATION, DataInfo
from core.diagnostics import (
    EXPLODING,
    EXPLODING_NORM,
    VANISHING,
    VANISHING_NORM,
    flow_verdict,
    measured_flows,
    run_verdicts,
    scientific,
)
from core.fixes import (
    Fix,
    dead_relu_fixes,
    exploding_fixes,
    learning_rate_high_fixes,
    learning_rate_low_fixes,
    not_learning_fixes,
    overfitting_fixes,
    saturated_gate_fixes,
    vanishing_fixes,
)
from core.formatting import format_number
from core.gate_saturation import CLOSED_BELOW, OPEN_ABOVE, saturated_share
from core.history import History
from core.specs import Project

# Finding names, in the order a diagnosis lists them: causes before their symptoms.
LR_TOO_HIGH = "learning_rate_too_high"
DEAD_RELU = "dead_relu"
SATURATED_GATES = "saturated_gates"
NOT_LEARNING = "not_learning"
LR_TOO_LOW = "learning_rate_too_low"
OVERFITTING = "overfitting"
ORDER = (EXPLODING, LR_TOO_HIGH, VANISHING, DEAD_RELU, SATURATED_GATES, NOT_LEARNING, LR_TOO_LOW, OVERFITTING)
TITLES = {
    EXPLODING: "Exploding gradients",
    LR_TOO_HIGH: "Learning rate too high",
    VANISHING: "Vanishing gradients",
    DEAD_RELU: "Dead ReLU units",
    SATURATED_GATES: "Saturated gates",
    NOT_LEARNING: "Not learning (underfitting)",
    LR_TOO_LOW: "Learning rate too low",
    OVERFITTING: "Overfitting",
}

# A final loss at or above this share of the baseline has learned (almost) nothing.
NOT_LEARNING_SHARE = 0.8
# Overfitting: the validation loss ended this much above its best, at least this many epochs after it.
OVERFIT_RISE = 1.1
OVERFIT_EPOCHS = 2
# Oscillating: the training loss rose by more than this between epochs, this share of the time.
OSCILLATION_RISE = 1.1
OSCILLATION_SHARE = 0.3
# Barely moving: the training loss changed by less than this share over the run.
FLAT_CHANGE = 0.02
# A step this small (or smaller) is a small learning rate for the optimizer.
SMALL_RATE = {"adam": 1e-4, "rmsprop": 1e-4, "sgd": 1e-3}
# A layer with at least this share of its gate values closed or open (core.gate_saturation) is saturated.
SATURATION_SHARE = 0.9
# A ReLU layer with at least this share of units at 0 over the whole probe sequence has died.
DEAD_SHARE = 0.5
# Batches at the end of a run whose gradient norm is checked for exact zeros.
LAST_BATCHES = 10
RECURRENT_PREFIXES = ("rnn_", "encoder_", "decoder_")


@dataclass(frozen=True)
class Baseline:
    """The scores of a net that ignores its input (see the module docstring)."""

    loss: float
    metric: float  # accuracy (classes) or MAE (numbers); NaN when unknown
    metric_name: str  # "accuracy" or "mae"
    words: str  # how it is reached, e.g. "always answering the average"

    def to_dict(self) -> dict[str, Any]:
        metric = self.metric if math.isfinite(self.metric) else None
        return {"loss": self.loss, self.metric_name: metric, "words": self.words}


@dataclass(frozen=True)
class Finding:
    """One verdict on a run: its name (ORDER), the evidence in words and numbers, and the fixes."""

    verdict: str
    evidence: str
    fixes: tuple[Fix, ...] = ()
    numbers: dict[str, float] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return TITLES.get(self.verdict, self.verdict)

    def to_dict(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "evidence": self.evidence, "fixes": [fix.to_dict() for fix in self.fixes]}


# --- the untrained baseline --------------------------------------------------------------------


def untrained_baseline(info: DataInfo | None, y_train: np.ndarray | None = None) -> Baseline | None:
    """The baseline from the training targets when given, else from what ``info`` knows (None if nothing)."""
    if info is None:
        return None
    if info.kind == CLASSIFICATION:
        classes = max(1, info.num_classes)
        if y_train is not None and np.size(y_train):
            ids = np.asarray(y_train).astype(int).reshape(-1)
            shares = np.bincount(ids[(ids >= 0) & (ids < classes)], minlength=classes) / max(1, ids.size)
            nonzero = shares[shares > 0]
            loss = float(-(nonzero * np.log(nonzero)).sum())
            return Baseline(loss, float(shares.max()), "accuracy",
                            f"always answering with the class shares (the best of {classes} classes "
                            f"is {100 * shares.max():.0f} % of the targets)")
        chance = float(info.extra.get("chance_accuracy", 1.0 / classes))
        return Baseline(math.log(classes), chance, "accuracy",
                        f"guessing among {classes} classes (ln {classes}; 1 in {classes} right)")
    if y_train is not None and np.size(y_train):
        y = np.asarray(y_train, dtype=np.float64)
        y = y.reshape(len(y), -1)
        centred = y - y.mean(axis=0)
        return Baseline(float(np.mean(centred ** 2)), float(np.mean(np.abs(centred))), "mae",
                        "always answering the average of the training targets")
    if "baseline_mse" in info.extra:
        return Baseline(float(info.extra["baseline_mse"]), math.nan, "mae", "always answering the average")
    norm = info.normalization or {}
    if "y_std" in norm:
        # Targets scaled to variance 1 on the training rows; the mean absolute deviation of a
        # normal distribution is sqrt(2/pi) of its standard deviation.
        return Baseline(1.0, math.sqrt(2 / math.pi), "mae", "always answering the average (targets normalised)")
    return None


def project_baseline(project: Project, info: DataInfo | None) -> Baseline | None:
    """The baseline of a saved run: from the targets of its project's data when they can be built
    again and have the run's layout (a built-in task, a file still there), else from ``info``."""
    from core.datasets import build_dataset
    from core.errors import RNNLabError
    from core.model_fit import same_dataset_layout

    try:
        data = build_dataset(project.dataset, project.model.io_mode)
    except (RNNLabError, OSError, ValueError, MemoryError):
        return untrained_baseline(info)
    if info is not None and not same_dataset_layout(data.info, info):
        return untrained_baseline(info)
    return untrained_baseline(info or data.info, data.y_train)


# --- reading the history -----------------------------------------------------------------------


def _values(logs: Sequence[dict[str, float]], key: str) -> np.ndarray:
    return np.asarray([logs_.get(key, math.nan) for logs_ in logs], dtype=np.float64)


def _nan_stop(history: History) -> tuple[int, int] | None:
    """(epoch, batch) of the first batch whose loss or gradient was not finite (training stops
    there), counted from 1."""
    losses = np.asarray(history.batch_loss, dtype=np.float64)
    finite = np.isfinite(losses)
    for norms in history.layer_norms.values():
        values = np.asarray(norms, dtype=np.float64)
        if values.shape == finite.shape:
            finite &= np.isfinite(values)
    bad = np.flatnonzero(~finite)
    if not bad.size:
        return None
    per_epoch = history.batches_per_epoch or max(1, math.ceil(len(losses) / max(1, len(history.epochs))))
    epoch, batch = divmod(int(bad[0]), per_epoch)
    return epoch + 1, batch + 1


def _recurrent(layer: str) -> bool:
    return layer.startswith(RECURRENT_PREFIXES)


def _probe(history: History) -> dict[str, Any] | None:
    """The newest probe (hidden states and gates of one sample, SequenceStates.to_dict()) that the
    history keeps (``History.probes``: epoch -> states), or None."""
    probes = getattr(history, "probes", None)
    if isinstance(probes, dict) and probes:
        newest = probes[max(probes)]
        return newest if isinstance(newest, dict) and newest.get("layers") else None
    return None


def _radius(history: History, block: str = "w_R") -> tuple[str, float] | None:
    """(layer, spectral radius of its w_R at the last epoch) of the first SimpleRNN-like layer."""
    for layer, blocks in (getattr(history, "spectral_radius", None) or {}).items():
        values = np.asarray(blocks.get(block, []), dtype=np.float64) if isinstance(blocks, dict) else np.array([])
        if values.size and math.isfinite(values[-1]):
            return layer, float(values[-1])
    return None


def _arrays(value: Any) -> np.ndarray | None:
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return array if array.ndim == 2 and array.size else None


# --- the findings ------------------------------------------------------------------------------


class _Run:
    """The facts of one run that several findings use."""

    def __init__(self, project: Project, history: History, baseline: Baseline | None):
        self.project, self.history, self.baseline = project, history, baseline
        self.loss = _values(history.epochs, "loss")
        self.val = _values(history.epochs, "val_loss")
        self.has_val = bool(self.val.size) and bool(np.isfinite(self.val).any())
        self.nan_stop = _nan_stop(history)
        self.flows = [np.asarray(p, dtype=np.float64) for p in measured_flows(history.gradient_flow)]
        self.probe = _probe(history)

    @property
    def epochs(self) -> int:
        return len(self.history.epochs)

    def final_loss(self) -> tuple[str, float]:
        """("validation loss", v) or ("training loss", v): the last finite score the run reached."""
        for name, values in (("validation loss", self.val), ("training loss", self.loss)):
            finite = values[np.isfinite(values)]
            if finite.size:
                return name, float(finite[-1])
        return "loss", math.nan

    def zero_recurrent_norms(self) -> list[str]:
        """Recurrent layers whose gradient was exactly 0 in each of the last batches."""
        dead = []
        for layer, norms in self.history.layer_norms.items():
            tail = np.asarray(norms[-LAST_BATCHES:], dtype=np.float64)
            if _recurrent(layer) and tail.size and np.all(tail == 0):
                dead.append(layer)
        return dead


def _exploding(run: _Run) -> Finding | None:
    evidence, numbers = [], {}
    if run.nan_stop is not None:
        epoch, batch = run.nan_stop
        evidence.append(f"the loss or the gradient became infinite or NaN at epoch {epoch}, batch {batch}")
        numbers["nan_epoch"] = epoch
    clipped = run.project.training.clip_mode != "none"
    peaks = {}
    for layer, norms in run.history.layer_norms.items():
        values = np.asarray(norms, dtype=np.float64)
        if values.size:
            peaks[layer] = float(values.max()) if np.isfinite(values).all() else math.inf
    high = {layer: peak for layer, peak in peaks.items() if peak > EXPLODING_NORM}
    # Clipping caps each step: a large gradient measured before the clip is no harm unless the run diverged.
    if high and (not clipped or run.nan_stop is not None):
        layer, peak = max(high.items(), key=lambda item: item[1])
        if math.isfinite(peak):
            evidence.append(f"{layer}'s gradient norm reached {scientific(peak)} (above {EXPLODING_NORM:g})")
        elif run.nan_stop is None:
            evidence.append(f"{layer}'s gradient norm became infinite or NaN")
        numbers["peak_norm"] = peak
    if run.flows and not clipped:
        verdict = flow_verdict(run.flows[-1])
        if verdict.kind == EXPLODING and verdict.warning:
            evidence.append(verdict.text)
            numbers["flow_ratio"] = verdict.value
    if not evidence:
        return None
    radius = _radius(run.history) if run.project.model.cell == "SimpleRNN" else None
    if radius is not None and radius[1] > 1:
        evidence.append(f"{radius[0]}'s w_R has spectral radius {format_number(radius[1], 2)}, above 1: "
                        "each step back can multiply the gradient by more than 1")
        numbers["spectral_radius"] = radius[1]
    return Finding(EXPLODING, _sentence(evidence), tuple(exploding_fixes(run.project)), numbers)


def _vanishing(run: _Run, dead: bool) -> Finding | None:
    if run.nan_stop is not None or dead:
        return None  # a diverged run's last norms say nothing; dead units explain zero gradients better
    evidence, numbers = [], {}
    for layer, norms in run.history.layer_norms.items():
        values = np.asarray(norms, dtype=np.float64)
        if _recurrent(layer) and values.size and math.isfinite(values[-1]) and values[-1] < VANISHING_NORM:
            evidence.append(f"{layer}'s gradient norm is {scientific(values[-1])} at the last batch "
                            f"(below {VANISHING_NORM:g})")
            numbers["last_norm"] = float(values[-1])
            break
    if run.flows:
        verdict = flow_verdict(run.flows[-1])
        if verdict.kind == VANISHING and verdict.warning:
            evidence.append(f"{verdict.text} at the end of epoch {len(run.flows)}")
            numbers["flow_ratio"] = verdict.value
    if not evidence:
        return None
    radius = _radius(run.history) if run.project.model.cell == "SimpleRNN" else None
    if radius is not None and radius[1] < 1:
        evidence.append(f"{radius[0]}'s w_R has spectral radius {format_number(radius[1], 2)}, below 1: "
                        "each step back multiplies the gradient by less than 1")
        numbers["spectral_radius"] = radius[1]
    return Finding(VANISHING, _sentence(evidence), tuple(vanishing_fixes(run.project)), numbers)


def _dead_relu(run: _Run) -> Finding | None:
    if run.project.model.activation != "relu" or run.nan_stop is not None:
        return None
    evidence, numbers = [], {}
    for layer in _probe_layers(run):
        hidden = _arrays(layer.get("hidden"))
        if hidden is None:
            continue
        silent = int(np.sum(np.all(hidden == 0, axis=0)))
        if silent >= DEAD_SHARE * hidden.shape[1]:
            evidence.append(f"{silent} of {hidden.shape[1]} units of {layer.get('name', 'a layer')} output 0 at "
                            "every step of the probe sample")
            numbers["dead_share"] = silent / hidden.shape[1]
    zero = run.zero_recurrent_norms()
    if zero:
        evidence.append(f"{', '.join(zero)} got a gradient of exactly 0 in each of the last "
                        f"{min(LAST_BATCHES, len(run.history.batch_loss))} batches")
    if run.flows and not np.any(run.flows[-1]):
        evidence.append("no gradient reaches any input step")
    if not evidence:
        return None
    return Finding(DEAD_RELU, _sentence(evidence), tuple(dead_relu_fixes(run.project)), numbers)


def _probe_layers(run: _Run) -> list[dict[str, Any]]:
    layers = run.probe.get("layers") if run.probe else None
    return [layer for layer in layers if isinstance(layer, dict)] if isinstance(layers, list) else []


def _saturated(run: _Run) -> Finding | None:
    if run.baseline is None or run.nan_stop is not None:
        return None
    # A net that learned may keep its forget gates shut on purpose: saturation is only a problem
    # in a run that has not got far.
    _, final = run.final_loss()
    if not (math.isfinite(final) and final > 0.5 * run.baseline.loss):
        return None
    for layer in _probe_layers(run):
        gates = layer.get("gates") if isinstance(layer.get("gates"), dict) else {}
        arrays = {name: _arrays(values) for name, values in gates.items()}
        share = saturated_share({name: values for name, values in arrays.items() if values is not None})
        if share is not None and share >= SATURATION_SHARE:
            evidence = (f"{100 * share:.0f} % of {layer.get('name', 'a layer')}'s gate values on the probe sample "
                        f"are below {CLOSED_BELOW} or above {OPEN_ABOVE}, where the sigmoid passes almost no gradient")
            return Finding(SATURATED_GATES, evidence, tuple(saturated_gate_fixes(run.project)),
                           {"saturated_share": share})
    return None


def _learning_rate_high(run: _Run) -> Finding | None:
    if run.nan_stop is not None or run.epochs < 3:
        return None  # a NaN stop is the exploding finding, which proposes a smaller rate too
    loss = run.loss[np.isfinite(run.loss)]
    if loss.size < 3:
        return None
    rises = loss[1:] > OSCILLATION_RISE * loss[:-1]
    rate = format_number(run.project.training.learning_rate, 3)
    if rises.sum() >= 2 and rises.mean() >= OSCILLATION_SHARE:
        evidence = (f"the training loss rose in {int(rises.sum())} of {rises.size} epochs (ranging from "
                    f"{format_number(loss.min(), 3)} to {format_number(loss.max(), 3)}) at learning rate {rate}")
    elif loss[-1] > 1.5 * loss.min() and loss[-1] > loss[0]:
        evidence = (f"the training loss ended at {format_number(loss[-1], 3)}, above where it started "
                    f"({format_number(loss[0], 3)}), at learning rate {rate}")
    else:
        return None
    return Finding(LR_TOO_HIGH, evidence, tuple(learning_rate_high_fixes(run.project)),
                   {"rises": float(rises.sum())})


def _learning_rate_low(run: _Run, dead: bool) -> Finding | None:
    training = run.project.training
    if dead or run.nan_stop is not None or run.epochs < 3:
        return None
    if training.learning_rate > SMALL_RATE.get(training.optimizer, 1e-4):
        return None
    loss = run.loss[np.isfinite(run.loss)]
    if loss.size < 3 or loss[0] <= 0:
        return None
    change = abs(loss[-1] - loss[0]) / loss[0]
    if change >= FLAT_CHANGE:
        return None
    evidence = (f"over {run.epochs} epochs the training loss moved by {100 * change:.1f} % "
                f"({format_number(loss[0], 3)} to {format_number(loss[-1], 3)}) at learning rate "
                f"{format_number(training.learning_rate, 3)}, small for {training.optimizer}")
    return Finding(LR_TOO_LOW, evidence, tuple(learning_rate_low_fixes(run.project)), {"change": change})


def _not_learning(run: _Run, info: DataInfo | None, found: list[Finding]) -> Finding | None:
    if run.baseline is None or run.nan_stop is not None or not run.epochs:
        return None
    name, final = run.final_loss()
    share = final / run.baseline.loss if run.baseline.loss > 0 else math.inf
    if not (math.isfinite(final) and share >= NOT_LEARNING_SHARE):
        return None
    trained = run.loss[np.isfinite(run.loss)]
    if trained.size and trained[-1] < NOT_LEARNING_SHARE * run.baseline.loss:
        return None  # it learned the training samples: overfitting, if anything
    stable = not any(f.verdict in (EXPLODING, LR_TOO_HIGH) for f in found)
    evidence = (f"{'the run is stable but learns nothing' if stable else 'nothing learned'}: after {run.epochs} epoch"
                f"{'s' if run.epochs != 1 else ''} the {name} is {format_number(final, 3)}, {100 * share:.0f} % "
                f"of the untrained baseline {format_number(run.baseline.loss, 3)} ({run.baseline.words})")
    accuracy = _values(run.history.epochs, "val_accuracy" if run.has_val else "accuracy")
    if run.baseline.metric_name == "accuracy" and np.isfinite(accuracy).any():
        evidence += (f"; accuracy {100 * accuracy[np.isfinite(accuracy)][-1]:.0f} % against "
                     f"{100 * run.baseline.metric:.0f} % by chance")
    fixes: list[Fix] = []
    for finding in found:  # the causes found first: they explain why nothing was learned
        if finding.verdict in (DEAD_RELU, VANISHING, LR_TOO_LOW, SATURATED_GATES):
            _add(fixes, finding.fixes[:1])
    loss = run.loss[np.isfinite(run.loss)]
    still_falling = loss.size >= 2 and loss[-1] < 0.97 * loss[max(0, loss.size - 3)]
    long_sequences = info is not None and info.seq_len_in >= 50
    _add(fixes, not_learning_fixes(run.project, long_sequences=long_sequences, still_falling=still_falling))
    return Finding(NOT_LEARNING, evidence, tuple(fixes), {"final_loss": final, "baseline": run.baseline.loss,
                                                          "share": share})


def _overfitting(run: _Run) -> Finding | None:
    if not run.has_val or run.nan_stop is not None:
        return None
    val, loss = run.val, run.loss
    if not (np.isfinite(val).all() and np.isfinite(loss).all()):
        return None
    best = int(np.argmin(val))
    after = len(val) - 1 - best
    if after < OVERFIT_EPOCHS or val[-1] < OVERFIT_RISE * val[best] or loss[-1] >= loss[best]:
        return None
    evidence = (f"the validation loss rose from {format_number(val[best], 3)} (epoch {best + 1}) to "
                f"{format_number(val[-1], 3)} (epoch {len(val)}) while the training loss fell from "
                f"{format_number(loss[best], 3)} to {format_number(loss[-1], 3)}: the net memorises the "
                "training samples")
    return Finding(OVERFITTING, evidence, tuple(overfitting_fixes(run.project)),
                   {"best_epoch": best + 1, "best_val_loss": float(val[best]), "final_val_loss": float(val[-1])})


def _sentence(parts: list[str]) -> str:
    return "; ".join(parts)


def _add(fixes: list[Fix], more: Sequence[Fix]) -> None:
    """Append the fixes whose changes are not in the list yet (the first reason given wins)."""
    for fix in more:
        if all(fix.changes != known.changes for known in fixes):
            fixes.append(fix)


def diagnose(project: Project, history: History | None, info: DataInfo | None = None, *,
             baseline: Baseline | None = None) -> list[Finding]:
    """The findings on a run, in ORDER; empty when nothing went wrong (or nothing was recorded).

    ``baseline`` defaults to ``untrained_baseline(info)``; without either, the findings that
    compare the loss with the baseline (not learning, saturated gates) are left out.
    """
    if history is None or (not history.epochs and not history.batch_loss):
        return []
    run = _Run(project, history, baseline or untrained_baseline(info))
    found: list[Finding] = []
    for finding in (_exploding(run), _learning_rate_high(run)):
        if finding is not None:
            found.append(finding)
    dead = _dead_relu(run)
    for finding in (_vanishing(run, dead is not None), dead, _saturated(run),
                    _learning_rate_low(run, dead is not None)):
        if finding is not None:
            found.append(finding)
    for finding in (_not_learning(run, info, found), _overfitting(run)):
        if finding is not None:
            found.append(finding)
    return sorted(found, key=lambda f: ORDER.index(f.verdict))


def diagnosis_lines(findings: Sequence[Finding]) -> list[str]:
    """The findings in words, as the command line prints them (indented fixes under each)."""
    if not findings:
        return ["No problem found in the gradients and the losses."]
    lines = []
    for finding in findings:
        lines.append(f"{finding.title}: {finding.evidence}.")
        for fix in finding.fixes:
            lines.append(f"  fix: {fix.cli_args}  ({fix.why})")
    return lines


def diagnosis_json(project: Project, history: History | None, info: DataInfo | None = None) -> list[dict[str, Any]]:
    """The findings as `main.py inspect --json` prints them under "diagnosis"."""
    if history is None:
        return []
    return [finding.to_dict() for finding in diagnose(project, history, info, baseline=project_baseline(project, info))]


def report_lines(project: Project, history: History | None, info: DataInfo | None = None,
                 y_train: np.ndarray | None = None) -> list[str]:
    """What the command line prints after a run: the gradient verdicts the window shows under its
    gradient plots, then the diagnosis with its fixes (the window's Diagnosis panel)."""
    if history is None or not (history.epochs or history.batch_loss):
        return []
    lines = []
    verdicts = run_verdicts(history.layer_norms, history.gradient_flow, project)
    if verdicts:
        lines += ["", "Gradient diagnosis:"] + [f"  {verdict.line}" for verdict in verdicts]
    baseline = untrained_baseline(info, y_train) if y_train is not None else project_baseline(project, info)
    findings = diagnose(project, history, info, baseline=baseline)
    lines += ["", "Diagnosis:"] + [f"  {line}" for line in diagnosis_lines(findings)]
    return lines
