"""Is a run's gradient vanishing or exploding? The verdicts in words, for the window and the CLI.

Two measurements are judged. The per-layer gradient norms ‖∂loss/∂W‖ of every batch (how much
the weights are pushed), and the gradient-flow profile ‖∂loss/∂x_t‖ over time steps at the end
of an epoch (how much of the error reaches early inputs through backpropagation through time).
The advice is the lecture's ("Issues and Solutions") for each zone. Given the run's project, the
advice is the fixes of ``core.fixes`` for it, so nothing already set is proposed (no "try an LSTM"
for an LSTM); without one it is the lecture's general advice. Views add their own markup.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from core.formatting import format_number

if TYPE_CHECKING:
    from core.specs import Project

VANISHING = "vanishing"
EXPLODING = "exploding"
HEALTHY = "healthy"

# Gradient norms below this barely move the weights; above the other they move them drastically.
VANISHING_NORM = 1e-6
EXPLODING_NORM = 1e3
# A flow profile whose first/last ratio leaves [1e-2, 1e2] is named vanishing or exploding; only
# beyond the norm thresholds' factor (1e-6 / 1e6) is it severe enough to warn with the fix.
FLOW_VANISHING_RATIO = 1e-2
FLOW_EXPLODING_RATIO = 1e2

_GRADIENT_FIX = {
    EXPLODING: "exploding: try clipping (Training › Gradient clipping) or the RMSprop optimizer",
    VANISHING: "vanishing: try an LSTM or GRU cell, or the ReLU activation (Architecture)",
}
_FLOW_FIX = {
    EXPLODING: "try clipping (Training › Gradient clipping) or RMSprop",
    VANISHING: "try LSTM/GRU (Architecture › Cell) or the ReLU activation",
}


@dataclass(frozen=True)
class Verdict:
    """One judgement: ``kind`` (VANISHING, EXPLODING or HEALTHY), ``text`` saying what was
    measured, ``warning`` the line with the fix when the run is in a danger zone ("" otherwise),
    and the evidence: ``value`` (a norm, or the first/last ratio of a flow profile) and the
    ``layers`` concerned."""

    kind: str
    text: str
    warning: str = ""
    value: float = math.nan
    layers: tuple[str, ...] = ()

    @property
    def line(self) -> str:
        """What to tell a user: the warning with its fix, else what was measured."""
        return self.warning or self.text


def scientific(value: float) -> str:
    """Two significant digits, exponents without padding: 3.2e-9, not 3.2e-09."""
    return f"{value:.2g}".replace("e-0", "e-").replace("e+0", "e+")


def _advice(kind: str, project: Project | None, general: Mapping[str, str]) -> str:
    """What to try: the project's own fixes when it is known, else the lecture's general advice."""
    if project is None:
        return general[kind]
    advice = _project_advice(kind, project)
    return f"{kind}: {advice}" if general is _GRADIENT_FIX else advice


@functools.lru_cache(maxsize=64)
def _project_advice(kind: str, project: Project) -> str:
    # Cached: the live plots ask again at every redraw while a run's gradients stay in a zone.
    from core.fixes import exploding_fixes, vanishing_fixes

    fixes = (exploding_fixes if kind == EXPLODING else vanishing_fixes)(project)
    return "try " + " or ".join(fix.label for fix in fixes[:2]) if fixes else "see the diagnosis"


def gradient_verdicts(layer_latest: Mapping[str, float], layer_peak: Mapping[str, float],
                      project: Project | None = None) -> list[Verdict]:
    """The zones a run's per-layer gradient norms reached: exploding and/or vanishing, or one
    healthy verdict.

    Exploding counts if any batch ever went above EXPLODING_NORM (or was not finite): the damage
    is done even if later batches calm down. Vanishing looks at the latest batch only: early
    batches of a healthy run can be tiny.
    """
    verdicts = []
    high = [layer for layer, peak in layer_peak.items() if not math.isfinite(peak) or peak > EXPLODING_NORM]
    if high:
        peaks = [layer_peak[layer] for layer in high]
        peak = max(peaks) if all(map(math.isfinite, peaks)) else math.inf
        peak_text = f"up to {scientific(peak)}" if math.isfinite(peak) else "not finite"
        text = f"{', '.join(high)} above {EXPLODING_NORM:g} ({peak_text})"
        advice = _advice(EXPLODING, project, _GRADIENT_FIX)
        verdicts.append(Verdict(EXPLODING, text, f"{text}: {advice}", peak, tuple(high)))
    low = [layer for layer, value in layer_latest.items() if math.isfinite(value) and value < VANISHING_NORM]
    if low:
        text = f"{', '.join(low)} below {VANISHING_NORM:g} at the latest batch"
        lowest = min(layer_latest[layer] for layer in low)
        advice = _advice(VANISHING, project, _GRADIENT_FIX)
        verdicts.append(Verdict(VANISHING, text, f"{text}: {advice}", lowest, tuple(low)))
    if not verdicts:
        text = (f"gradient norms healthy: none above {EXPLODING_NORM:g}, "
                f"none below {VANISHING_NORM:g} at the latest batch")
        verdicts.append(Verdict(HEALTHY, text, layers=tuple(layer_latest)))
    return verdicts


def norms_verdicts(layer_norms: Mapping[str, Sequence[float | None]],
                   project: Project | None = None) -> list[Verdict]:
    """gradient_verdicts of whole per-batch histories (None, as read from JSON, is not finite)."""
    latest, peak = {}, {}
    for layer, values in layer_norms.items():
        norms = np.asarray(values, dtype=np.float64).reshape(-1)
        if norms.size:
            latest[layer] = float(norms[-1])
            peak[layer] = float(norms.max()) if np.isfinite(norms).all() else math.inf
    return gradient_verdicts(latest, peak, project)


class _LazyAdvice(dict):
    """The flow advice per kind, worked out only for a profile that needs it (most do not)."""

    def __init__(self, project: Project | None):
        super().__init__()
        self.project = project

    def __missing__(self, kind: str) -> str:
        self[kind] = _advice(kind, self.project, _FLOW_FIX)
        return self[kind]


def flow_verdict(profile: Sequence[float] | np.ndarray, project: Project | None = None) -> Verdict:
    """How much of the gradient at the last time step reaches t=1 (``value`` is first/last)."""
    fix = _LazyAdvice(project)
    profile = np.asarray(profile, dtype=np.float64).reshape(-1)
    steps = len(profile)
    if steps < 2:
        return Verdict(HEALTHY, "only one time step: nothing flows through time")
    first, last = float(profile[0]), float(profile[-1])
    if not (math.isfinite(first) and math.isfinite(last)):
        return Verdict(EXPLODING, "gradient is not finite (NaN or Inf): exploding",
                       f"exploding, the gradient is not finite: {fix[EXPLODING]}", math.nan)
    if last == 0:
        if first == 0:
            return Verdict(VANISHING, f"gradient is 0 at t=1 and at t={steps}: nothing reaches the input",
                           f"no gradient reaches any step: vanishing at early steps: {fix[VANISHING]}",
                           math.nan)
        # The last step gets nothing while the first does: no fix in the lecture to point to.
        return Verdict(EXPLODING, f"gradient at t={steps} is 0 while at t=1 it is {format_number(first, 3)}",
                       value=math.inf)
    ratio = first / last
    where = f"(t=1 gets {scientific(ratio)} × the gradient of t={steps})"
    if ratio == 0:
        return Verdict(VANISHING, f"gradient at t=1 is 0 (underflow) × the one at t={steps}: vanishing",
                       f"vanishing at early steps: {fix[VANISHING]} {where}", ratio)
    if ratio < FLOW_VANISHING_RATIO:
        kind, words = VANISHING, "vanishing"
    elif ratio > FLOW_EXPLODING_RATIO:
        kind, words = EXPLODING, "exploding toward early steps"
    else:
        kind, words = HEALTHY, "flowing"
    warning = ""
    if ratio < VANISHING_NORM:
        warning = f"vanishing at early steps: {fix[VANISHING]} {where}"
    elif ratio > 1 / VANISHING_NORM:
        warning = f"exploding towards early steps: {fix[EXPLODING]} {where}"
    return Verdict(kind, f"gradient at t=1 is {scientific(ratio)} × the one at t={steps}: {words}", warning, ratio)


def measured_flows(gradient_flow: Sequence[Sequence[float | None] | None]) -> list:
    """The profiles of the epochs that measured the gradient flow: its time budget
    (core.epoch_probe.FlowSchedule) leaves the others empty."""
    return [profile for profile in gradient_flow if profile is not None and len(profile)]


def run_verdicts(layer_norms: Mapping[str, Sequence[float | None]],
                 gradient_flow: Sequence[Sequence[float | None]], project: Project | None = None) -> list[Verdict]:
    """Every verdict on a finished run: its gradient norms, then its last flow profile."""
    verdicts = norms_verdicts(layer_norms, project) if layer_norms else []
    profiles = measured_flows(gradient_flow)
    if profiles:
        verdicts.append(flow_verdict(profiles[-1], project))
    return verdicts

