"""A rough, honest estimate of a sweep's wall time, for the dialog's "estimated time" before it starts.

trial count x (a trial's fixed cost + epochs x seconds per epoch), divided by the trials that run
at once, plus the workers' TensorFlow import. Seconds per epoch come from the caller's measured
hint when there is one (a run of the same project), else from the weights and the samples and
steps they see (``core.param_count``) at a throughput measured for RNNs on one core of a 2-core
machine: it can be off by a factor of two either way, and the dialog should say it is an estimate.
"""

from __future__ import annotations

import functools
import math
import os

from core.specs import Project
from core.sweeps.spec import SweepSpec
from core.sweeps.trials import expand_trials, trial_project

WORKER_START_S = 5.0  # the fork server imports TensorFlow once
TRIAL_OVERHEAD_S = 0.6  # building the data and the model, the first trace, saving the bundle
# Forward and backward pass of a Keras RNN per weight per step per sample, and the fixed costs per
# batch and per epoch (the epoch's gradient-flow probe and weight health): fitted on 40 trials
# run two at a time on this project's 2-core machine (2026-12-01: the how-far-back example's 24,
# 15 epochs of 8,000 samples, T = 10 to 100, 64 units, 25 to 150 s each; and 16 tiny ones of
# 2 to 6 s): the big ones within 25 % of what they took, the tiny ones within 50 % (the constants
# before were 3 to 6 times too slow).
WEIGHT_STEPS_PER_S = 4.8e9
BATCH_OVERHEAD_S = 0.0036
EPOCH_OVERHEAD_S = 0.6


def estimate_seconds(spec: SweepSpec, seconds_per_epoch_hint: float | None = None,
                     max_concurrent: int | None = None) -> float:
    """Estimated wall time of the whole sweep, in seconds (the dialog's "about N minutes").

    Without a hint, each distinct dataset of the trials is built once to count its samples
    (quick for generated tasks; a big CSV takes as long as opening it).
    """
    trials = expand_trials(spec)
    if not trials:
        return 0.0
    slots = max(1, min(max_concurrent or os.cpu_count() or 1, len(trials)))
    total = 0.0
    for trial in trials:
        project = trial_project(spec, trial)
        per_epoch = seconds_per_epoch_hint if seconds_per_epoch_hint is not None else epoch_seconds(project)
        total += TRIAL_OVERHEAD_S + project.training.epochs * per_epoch
    return WORKER_START_S + total / slots


def epoch_seconds(project: Project) -> float:
    """Estimated seconds of one epoch of ``project`` on one core (validation included)."""
    from core.param_count import count_parameters

    info, n_train, n_val = _data_facts(project.dataset, project.model.io_mode)
    weights = count_parameters(project.model, info).total
    steps = _time_steps(info)
    batches = math.ceil(n_train / project.training.batch_size)
    # Backward costs about twice the forward pass; validation is forward only.
    work = weights * steps * (3 * n_train + n_val)
    return work / WEIGHT_STEPS_PER_S + batches * BATCH_OVERHEAD_S + EPOCH_OVERHEAD_S


def _time_steps(info) -> int:
    """The longer of the input and output sequences (1 for a vector)."""
    steps = [1]
    if info.input_kind == "tokens" or len(info.input_shape) >= 2:
        steps.append(int(info.input_shape[0]))
    if len(info.output_shape) >= (1 if info.kind == "classification" else 2):
        steps.append(int(info.output_shape[0]))
    return max(steps)


@functools.lru_cache(maxsize=32)
def _data_facts(dataset, io_mode: str):
    from core.datasets import build_dataset

    data = build_dataset(dataset, io_mode)
    return data.info, data.num_train, data.num_val
