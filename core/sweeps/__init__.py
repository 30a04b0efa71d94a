"""Sweeps: many runs of one project with fields varied, on this machine or on a Ray cluster.

``spec`` (what to vary), ``trials`` (the runs it makes), ``run_trial`` (one run: the same
``core.training.train`` as always, saved as a bundle), ``results`` (the output folder),
``engine.run_sweep`` with ``local_engine`` and ``ray_engine``, ``estimate`` (the time it will take).
Nothing here imports TensorFlow or Ray at import time.
"""

from core.sweeps.engine import ENGINES, MAX_RETRIES, SweepFinished, TrialEpoch, TrialFinished, TrialStarted, run_sweep
from core.sweeps.estimate import estimate_seconds
from core.sweeps.results import TrialResult, best_result, bundle_path, read_results, write_results
from core.sweeps.spec import SweepSpec, SweepSpecError
from core.sweeps.trials import Trial, expand_trials, trial_project

__all__ = [
    "ENGINES", "MAX_RETRIES", "SweepFinished", "SweepSpec", "SweepSpecError", "Trial", "TrialEpoch",
    "TrialFinished", "TrialResult", "TrialStarted", "best_result", "bundle_path", "estimate_seconds",
    "expand_trials", "read_results", "run_sweep", "trial_project", "write_results",
]
