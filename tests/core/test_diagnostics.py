"""The vanishing/exploding verdicts on crafted gradient norms and flow profiles."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.diagnostics import (
    EXPLODING,
    HEALTHY,
    VANISHING,
    flow_verdict,
    gradient_verdicts,
    norms_verdicts,
    run_verdicts,
    scientific,
)


def test_healthy_norms_get_one_healthy_verdict_without_warning():
    [verdict] = gradient_verdicts({"rnn_1": 0.3, "head": 0.02}, {"rnn_1": 2.0, "head": 0.5})
    assert verdict.kind == HEALTHY and verdict.warning == "" and "healthy" in verdict.line
    assert verdict.layers == ("rnn_1", "head")


def test_exploding_counts_any_batch_and_vanishing_only_the_latest():
    verdicts = gradient_verdicts({"rnn_1": 1e-9, "head": 1.0}, {"rnn_1": 4.2e3, "head": 1.0})
    assert [v.kind for v in verdicts] == [EXPLODING, VANISHING]
    exploding, vanishing = verdicts
    assert exploding.layers == ("rnn_1",) and exploding.value == 4.2e3
    assert exploding.warning == ("rnn_1 above 1000 (up to 4.2e+3): exploding: try clipping "
                                 "(Training › Gradient clipping) or the RMSprop optimizer")
    assert vanishing.layers == ("rnn_1",) and vanishing.value == 1e-9
    assert vanishing.line.startswith("rnn_1 below 1e-06 at the latest batch: vanishing: try an LSTM or GRU")
    # Tiny early batches of a run that recovered are not vanishing.
    [recovered] = gradient_verdicts({"rnn_1": 0.1}, {"rnn_1": 0.1})
    assert recovered.kind == HEALTHY


def test_a_norm_that_is_not_finite_is_exploding():
    [verdict] = gradient_verdicts({"rnn_1": math.nan}, {"rnn_1": math.inf})
    assert verdict.kind == EXPLODING and "not finite" in verdict.text and verdict.value == math.inf


def test_whole_histories_are_judged_like_the_live_plots():
    # Lists as read back from JSON: a diverged batch is None.
    [exploding] = norms_verdicts({"rnn_1": [0.1, None, 0.2]})
    assert exploding.kind == EXPLODING
    [vanishing] = norms_verdicts({"rnn_1": [0.1, 1e-3, 1e-8], "head": [0.5, 0.4, 0.3]})
    assert vanishing.kind == VANISHING and vanishing.layers == ("rnn_1",)


@pytest.mark.parametrize(("profile", "kind", "warns", "words"), [
    (np.logspace(-12, 0, 6), VANISHING, True, "t=1 gets 1e-12 × the gradient of t=6"),
    (np.logspace(-3, 0, 6), VANISHING, False, "gradient at t=1 is 0.001 × the one at t=6: vanishing"),
    (np.array([0.5, 0.6, 0.7]), HEALTHY, False, "flowing"),
    (np.logspace(8, 0, 4), EXPLODING, True, "exploding towards early steps: try clipping"),
    (np.array([1.0, math.nan]), EXPLODING, True, "not finite"),
    (np.zeros(4), VANISHING, True, "no gradient reaches any step"),
    (np.array([0.0, 1.0]), VANISHING, True, "0 (underflow)"),
    (np.array([0.3]), HEALTHY, False, "only one time step"),
])
def test_flow_profiles(profile, kind, warns, words):
    verdict = flow_verdict(profile)
    assert verdict.kind == kind
    assert bool(verdict.warning) == warns
    assert words in verdict.text + " " + verdict.warning


def test_a_flow_ratio_is_the_evidence_and_reads_compactly():
    verdict = flow_verdict([3.2e-9, 1.0])
    assert verdict.value == pytest.approx(3.2e-9)
    assert "3.2e-9" in verdict.text and scientific(4200.0) == "4.2e+3"


def test_a_run_gets_its_norm_verdicts_then_its_last_flow_verdict():
    verdicts = run_verdicts({"rnn_1": [1e-9]}, [[0.5, 1.0], [1e-12, 1.0]])
    assert [v.kind for v in verdicts] == [VANISHING, VANISHING]
    assert "at early steps" in verdicts[1].warning
    assert run_verdicts({}, []) == []
