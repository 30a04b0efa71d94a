"""What the training process looks at after an epoch, within time budgets: the gradient flow and a look inside.

- The probe sample (the first validation sample, or the first training sample without any):
  its states (``core.states``), so the Memory view shows the memory form epoch by epoch, and
  its connectivity (``core.connectivity``).
- The weight health (``core.weight_health``): the spectral radius of every w_R gate block and
  histograms of the weights and of the probe batch's gradients (from the gradient-flow pass).

Looking costs a few ms for a small model (the states are one numpy pass over one sequence, the
radius an eigenvalue problem per gate block) and tens of ms for two layers of 64 units: too much
to pay after every epoch of a run whose epochs take half a second. So looking has a budget:

- the first epoch always looks (it pays for tracing the training step anyway); the connectivity
  warms up there, compiled for a run of COMPILE_FROM_EPOCHS epochs or more, and a second, warm
  pass of the rest (states and histograms) measures what a look costs from then on. (Until
  2026-12-02 the second epoch always looked to measure it: 2.5-3.3 % of a 0.4-1 s epoch in
  bench_monitored_training.py, three times the budget over the epochs that followed.)
- a later epoch looks when the last look's cost fits in what is left of BUDGET of the training
  time (batches and validation) of the epochs since the first: with the connectivity if that
  fits too (its cost is known from the first look on), else without it; else not at all, and the
  history has a gap at that epoch. A look that costs under CHEAP_S always happens. The spectral
  radii are part of a look and of its cost while they are quick (see below).

The spectral radii have a budget of their own, since their eigenvalue problems grow as units^3
(four 1024 x 1024 blocks of an LSTM: 10-30 s on two cores, many times an epoch): they are taken
when their estimated cost (``core.weight_health.radius_seconds``) is under RADIUS_CHEAP_S, or fits
with what they took before in RADIUS_SHARE of the training time so far, the first epochs included.
A wide model's history has gaps in its radii until then, which the Weight health tab explains.

The gradient-flow profile (``core.monitoring.gradient_flow_function``: one forward and backward
pass over the probe batch) has a budget of its own (``FlowSchedule``): a compiled pass takes
2-5 ms for the teaching examples but 20-30 ms for two layers of 64 LSTM units over 50 steps,
which is one training step, 3 % of an epoch of 32 steps. It is measured after every epoch while
a pass costs under FLOW_CHEAP_S, else after the first epoch, the run's last (also where a stop or
early stopping ends it), those whose pass fits in FLOW_BUDGET of the training time, and those
whose look needs its gradients (the histograms; the look then pays for the pass from its own
budget). The Gradient flow tab draws at most eight profiles of a run anyway, labelled with their
epochs. (Until 2026-12-02 every epoch measured it: 3 % of the bench's epochs, 25-30 % of the
cooking schedule's and the energy CSV's, whose 20-60 ms eager pass was never compiled.)

So a small teaching model shows its memory after every epoch (and its connectivity every few),
while a heavy model's run gets a look every few epochs and trains about 1 % slower. A model whose
connectivity needs TensorFlow's backward pass (one-to-many, encoder-decoder) with more than MAX_ROWS
output numbers never gets it here (``main.py explain`` and the Memory view compute it on demand);
a chain model's is carried forward in numpy at any number of outputs.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from core.datasets.base import DataInfo

BUDGET = 0.01  # share of the training time looking may take
CHEAP_S = 0.005  # a look this quick happens after every epoch anyway (a small teaching model)
COMPILE_FROM_EPOCHS = 10  # compile the connectivity for runs this long: tracing pays off
# Above this many output numbers (steps x classes: a character model over 100 steps) one
# connectivity by TensorFlow's backward pass takes seconds.
MAX_ROWS = 1024
FLOW_BUDGET = 0.01  # share of the training time the gradient-flow passes may take
FLOW_CHEAP_S = 0.005  # a pass this quick is taken after every epoch
RADIUS_SHARE = 0.02  # share of the training time the spectral radii may take
RADIUS_CHEAP_S = 0.2  # radii estimated this quick are taken at every look (up to ~300 units)
DIGITS = 4  # significant digits of the probe's numbers (the view shows colours and 3 digits)


class EpochProbe:
    def __init__(self, model, info: DataInfo, sample: np.ndarray | None, names: list[tuple[str, str]]) -> None:
        from core.connectivity import Connectivity
        from core.weight_health import radius_seconds

        self.model = model
        self.info = info
        self.sample = sample
        self.names = names
        self.connectivity = None
        if sample is not None:
            connectivity = Connectivity(model, info)
            if connectivity.carried_forward(sample) or connectivity.rows(sample) <= MAX_ROWS:
                self.connectivity = connectivity
        self.looked = False
        self.training_s = 0.0  # training time of the epochs after the first
        self.spent_s = 0.0
        self.light_cost_s = 0.0  # the last look's cost without the connectivity
        self.connectivity_cost_s = 0.0  # the last connectivity's cost (0 until one is measured)
        self.radius_estimate_s = radius_seconds(model)  # then what the last radii took
        self.radius_spent_s = 0.0
        self.all_training_s = 0.0  # every epoch's training time, the first included

    def plan(self, epoch_s: float, extra_s: float = 0.0) -> str | None:
        """Whether this epoch's end looks: "warm-up" (the first look), "yes", "no" (without the
        connectivity) or None (not at all); call once per epoch, then ``take``. ``epoch_s``: what
        this epoch's training took (its batches and validation, without pauses and without the
        looking of epoch ends). ``extra_s``: what else this look would cost (the gradient-flow
        pass, when only the look needs it)."""
        self.all_training_s += epoch_s
        if not self.looked:
            return "warm-up"
        self.training_s += epoch_s
        allowed = max(BUDGET * self.training_s - self.spent_s, CHEAP_S)
        if extra_s + self.light_cost_s + self.connectivity_cost_s <= allowed:
            return "yes"
        if extra_s + self.light_cost_s <= allowed:
            return "no"
        return None

    def take(self, plan: str | None, epochs: int, gradients) -> tuple[dict | None, dict | None]:
        """The look ``plan`` decided on: (the probe sample's SequenceStates.to_dict() or None, the
        weight health), or (None, None) for no look."""
        if plan is None:
            return None, None
        self.looked = True
        return self._look(gradients, connectivity=plan, epochs=epochs)

    def charge(self, seconds: float) -> None:
        """A cost this epoch's look caused besides its own (the gradient-flow pass it needed)."""
        self.spent_s += seconds

    def take_radii(self, measure: Callable[[], dict]) -> dict | None:
        """``measure()`` (spectral radii, at this look or at a divergence) when the radii fit in
        their budget (see the module docstring), its time counted against it; else None."""
        cost = self.radius_estimate_s
        if cost > RADIUS_CHEAP_S and self.radius_spent_s + cost > RADIUS_SHARE * self.all_training_s:
            return None
        start = time.perf_counter()
        radii = measure()
        self.radius_estimate_s = time.perf_counter() - start
        self.radius_spent_s += self.radius_estimate_s
        return radii

    def _look(self, gradients, *, connectivity: str, epochs: int = 0) -> tuple[dict | None, dict]:
        """connectivity: "warm-up" (the first look: not counted), "yes" or "no"."""
        from core.weight_health import spectral_radii

        start = time.perf_counter()
        read = _read_once(self.model)
        health, states = self._light_look(gradients, read)
        spent_before = self.radius_spent_s
        radii = self.take_radii(lambda: spectral_radii(self.model, read))
        if radii is not None:
            health["spectral_radius"] = radii
        radii_s = self.radius_spent_s - spent_before
        # Radii this quick are part of every look and of its cost; a wide model's keep their own budget.
        own_budget_s = radii_s if radii_s > RADIUS_CHEAP_S else 0.0
        light = time.perf_counter() - start - own_budget_s
        if states is not None and self.connectivity is not None and connectivity != "no":
            middle = time.perf_counter()
            if connectivity == "warm-up":
                states.connectivity = self.connectivity.warm_up(
                    self.sample, compile_now=epochs >= COMPILE_FROM_EPOCHS)
                self.connectivity_cost_s = time.perf_counter() - middle
                if self.connectivity.compiled:  # the warm-up traced: time a warm call
                    _, self.connectivity_cost_s = _timed(lambda: self.connectivity(self.sample))
            else:
                states.connectivity = self.connectivity(self.sample)
                self.connectivity_cost_s = time.perf_counter() - middle
        end = time.perf_counter()
        probe = states.to_dict(DIGITS) if states is not None else None
        if connectivity == "warm-up":
            # This look paid first-call costs, with the first epoch's tracing: a warm pass says
            # what a look costs from now on.
            _, warm_s = _timed(lambda: self._light_look(gradients, _read_once(self.model), to_dict=True))
            self.light_cost_s = warm_s + radii_s - own_budget_s
        else:
            self.light_cost_s = light + time.perf_counter() - end
            self.spent_s += time.perf_counter() - start - own_budget_s
        return probe, health

    def _light_look(self, gradients, read, *, to_dict: bool = False) -> tuple[dict, object]:
        """(the weight health without radii, the probe sample's states or None): a look without
        the radii and the connectivity, which keep budgets of their own. ``to_dict``: also turn
        the states into what the history keeps, as a look does (for timing a whole look)."""
        from core.states import sequence_states
        from core.weight_health import epoch_health

        health = epoch_health(self.model, self.names, gradients, read, radii=False)
        states = sequence_states(self.model, self.info, self.sample, read=read) if self.sample is not None else None
        if to_dict and states is not None:
            states.to_dict(DIGITS)
        return health, states


def _timed(call: Callable[[], object]) -> tuple[object, float]:
    """(what ``call()`` returns, the seconds it took)."""
    start = time.perf_counter()
    result = call()
    return result, time.perf_counter() - start


def _read_once(model) -> Callable[[object], np.ndarray]:
    """A reader of the model's weights that reads each variable once, now: a variable read is an
    eager TensorFlow op (~0.1 ms and more), and a look reads each weight several times."""
    values = {id(v): np.asarray(v) for v in model.trainable_variables}

    def read(variable) -> np.ndarray:
        found = values.get(id(variable))
        return found if found is not None else np.asarray(variable)

    return read


class FlowSchedule:
    """Which epoch ends measure the gradient-flow profile (see the module docstring), and what a
    warm pass costs. ``measure`` times each pass; the first epoch's also times a warm pass when
    the first was slow, since a first call pays one-off costs (and may decide to compile)."""

    def __init__(self) -> None:
        self.cost_s: float | None = None  # a warm pass, once measured
        self.training_s = 0.0  # training time of the epochs after the first
        self.spent_s = 0.0
        self.measured = False

    def due(self, epoch_s: float, *, last: bool) -> bool:
        """Whether this epoch's end measures the flow for the flow's own sake; call once per epoch.
        ``last``: the run ends with this epoch."""
        if not self.measured:
            return True
        self.training_s += epoch_s
        if last or self.cost_s is None or self.cost_s <= FLOW_CHEAP_S:
            return True
        return self.spent_s + self.cost_s <= FLOW_BUDGET * self.training_s

    def extra_s(self, due: bool) -> float:
        """What a look would add by needing the pass on an epoch that is not ``due``."""
        return 0.0 if due else (self.cost_s or 0.0)

    def measure(self, flow_fn, x, y, *, calls_left: int, charged: bool = True):
        """``flow_fn(x, y)`` timed (a core.monitoring flow function: it says whether a call was
        ``warm``); the time counts against the flow's budget when ``charged``. Returns (its
        result, seconds)."""
        result, seconds = _timed(lambda: flow_fn(x, y, calls_left=calls_left))
        if self.measured:
            if charged:
                self.spent_s += seconds
        else:
            self.measured = True
            # A first eager call costs 2-4 times a warm one, and may have switched to a compiled
            # function that traces on its next call: the budget needs a warm pass's cost, not that.
            for _attempt in range(2):
                if seconds <= FLOW_CHEAP_S or calls_left < 2 or flow_fn.warm:
                    break
                _, seconds = _timed(lambda: flow_fn(x, y, calls_left=calls_left))
            self.cost_s = seconds
        if flow_fn.warm:
            self.cost_s = seconds
        return result, seconds
