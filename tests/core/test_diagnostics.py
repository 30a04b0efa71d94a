"""The vanishing/exploding verdicts on crafted gradient norms and flow profiles."""

from __future__ import annotations

import json
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


# --- the run's diagnosis: findings with evidence and fixes (core.diagnosis, core.fixes) ---------

from pathlib import Path  # noqa: E402

from core.datasets import build_dataset  # noqa: E402
from core.datasets.base import CLASSIFICATION, REGRESSION, DataInfo  # noqa: E402
from core.diagnosis import (  # noqa: E402
    DEAD_RELU,
    LR_TOO_HIGH,
    LR_TOO_LOW,
    NOT_LEARNING,
    OVERFITTING,
    SATURATED_GATES,
    diagnose,
    diagnosis_json,
    report_lines,
    untrained_baseline,
)
from core.fixes import make_fixes  # noqa: E402
from core.history import History  # noqa: E402
from core.persistence import load_project  # noqa: E402
from core.specs import ModelSpec, Project, TrainingSpec  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"
ADDING_INFO = DataInfo(task="adding", io_mode="many_to_one", kind=REGRESSION, input_kind="real",
                       input_shape=(100, 2), output_shape=(1,), target_names=["sum"],
                       extra={"baseline_mse": 1 / 6})
COOKING_INFO = DataInfo(task="cooking", io_mode="many_to_many", kind=CLASSIFICATION, input_kind="real",
                        input_shape=(7, 5), output_shape=(7,), class_names=["a", "b", "c"])


def _project(**fields) -> Project:
    project = Project(dataset=Project().dataset.__class__(task="adding", params={"length": 100}),
                      model=ModelSpec(io_mode="many_to_one"), training=TrainingSpec())
    for dotted, value in fields.items():
        project = project.with_field(dotted.replace("__", "."), value)
    return project


def _history(losses, val_losses=None, *, norms=None, flow=None, batches=4, **extra) -> History:
    """Epoch losses (and validation losses), ``batches`` batches per epoch at the epoch's loss."""
    epochs = [{"loss": loss} for loss in losses]
    for logs, val in zip(epochs, val_losses or []):
        logs["val_loss"] = val
    batch_loss = [loss for loss in losses for _ in range(batches)]
    norms = norms or {"rnn_1": [0.3] * len(batch_loss), "head": [0.1] * len(batch_loss)}
    flows = [list(flow)] * len(losses) if flow is not None else [[0.5, 0.7, 1.0]] * len(losses)
    history = History(epochs=epochs, batch_loss=batch_loss, layer_norms=norms, gradient_flow=flows,
                      batches_per_epoch=batches)
    for name, value in extra.items():
        setattr(history, name, value)
    return history


def _fields(finding) -> list[str]:
    return [fix.assignment for fix in finding.fixes]


def test_the_untrained_baseline_is_what_a_net_ignoring_its_input_scores():
    three = untrained_baseline(COOKING_INFO)
    assert three.loss == pytest.approx(math.log(3)) and three.metric == pytest.approx(1 / 3)
    # From the targets: the class shares' entropy and the largest share.
    skewed = untrained_baseline(COOKING_INFO, np.array([[0, 0, 0, 1], [0, 0, 2, 1]]))
    shares = np.array([5, 2, 1]) / 8
    assert skewed.loss == pytest.approx(-(shares * np.log(shares)).sum()) and skewed.metric == 5 / 8
    assert untrained_baseline(ADDING_INFO).loss == pytest.approx(1 / 6)
    numbers = untrained_baseline(ADDING_INFO, np.array([[1.0], [3.0]]))
    assert numbers.loss == pytest.approx(1.0) and numbers.metric == pytest.approx(1.0)
    plain = DataInfo(task="sine", io_mode="many_to_one", kind=REGRESSION, input_kind="real",
                     input_shape=(5, 1), output_shape=(1,))
    assert untrained_baseline(plain) is None and untrained_baseline(None) is None


def test_a_stable_run_stuck_at_the_baseline_is_named_not_learning_with_fixes_it_lacks():
    project = _project(model__cell="SimpleRNN", model__activation="relu", training__optimizer="sgd",
                       training__learning_rate=0.5, training__clip_mode="global_norm")
    history = _history([0.19, 0.18, 0.18, 0.18], [0.2, 0.19, 0.19, 0.19])
    [finding] = diagnose(project, history, ADDING_INFO)
    assert finding.verdict == NOT_LEARNING
    assert finding.evidence.startswith("the run is stable but learns nothing: after 4 epochs the validation "
                                       "loss is 0.19, 114 % of the untrained baseline 0.167")
    fixes = _fields(finding)
    assert fixes[0] == "training.optimizer=adam, training.learning_rate=0.001"
    assert "model.cell=LSTM" in fixes  # 100 steps: the SimpleRNN's gradient cannot reach the marks
    assert not any("clip_mode" in fix or "activation=relu" in fix for fix in fixes)  # already set
    # The JSON form; its baseline comes from the project's rebuilt targets (about 1/6 too).
    [printed] = json.loads(json.dumps(diagnosis_json(project, history, ADDING_INFO)))
    assert printed["verdict"] == "not_learning" and printed["fixes"] == [fix.to_dict() for fix in finding.fixes]
    assert printed["evidence"].startswith("the run is stable but learns nothing: after 4 epochs")
    assert diagnosis_json(project, history, ADDING_INFO)[0]["fixes"][0] == {
        "field": "training.optimizer", "value": "adam", "why": finding.fixes[0].why,
        "also": [{"field": "training.learning_rate", "value": 0.001}]}
    # A run that learned is not stuck.
    assert diagnose(project, _history([0.19, 0.1, 0.05], [0.2, 0.09, 0.04]), ADDING_INFO) == []


def test_vanishing_proposes_a_gated_cell_only_to_a_simple_rnn():
    history = _history([0.17, 0.16, 0.16], flow=[1e-12, 1e-6, 1.0])
    simple = diagnose(_project(model__cell="SimpleRNN", training__clip_mode="global_norm"), history)
    assert [f.verdict for f in simple] == [VANISHING]
    assert _fields(simple[0])[:3] == ["model.cell=LSTM", "model.cell=GRU", "model.activation=relu"]
    assert "1e-12" in simple[0].evidence
    lstm_project = _project(model__cell="LSTM", training__epochs=30)
    history.spectral_radius = {"rnn_1": {"w_R": [0.9, 0.62]}}
    assert "rnn_1's w_R has spectral radius 0.62, below 1" in diagnose(_project(model__cell="SimpleRNN"),
                                                                        history)[0].evidence
    [lstm] = diagnose(lstm_project, history)
    assert lstm.verdict == VANISHING and _fields(lstm) == ["training.epochs=60"]
    assert "LSTM" not in " ".join(fix.label for fix in lstm.fixes)
    # The live hints take the same fixes: no "try LSTM/GRU" under an LSTM's gradient-flow plot.
    hint = flow_verdict([1e-12, 1e-6, 1.0], lstm_project).warning
    assert hint.startswith("vanishing at early steps: try Epochs → 60") and "LSTM" not in hint
    [norm_hint] = gradient_verdicts({"rnn_1": 1e-9}, {"rnn_1": 1e-9}, lstm_project)
    assert "GRU" not in norm_hint.warning and "Epochs → 60" in norm_hint.warning


def test_exploding_proposes_clipping_only_when_it_is_off():
    diverged = _history([0.3, 0.2], norms={"rnn_1": [0.5] * 7 + [math.inf], "head": [0.1] * 8})
    diverged.batch_loss[-1] = math.nan
    unclipped = _project(model__cell="SimpleRNN", model__activation="relu", training__optimizer="sgd",
                         training__learning_rate=0.5)
    [finding] = diagnose(unclipped, diverged, ADDING_INFO)  # a NaN stop says nothing of learning
    assert finding.verdict == EXPLODING and "epoch 2, batch 4" in finding.evidence
    assert _fields(finding) == ["training.clip_mode=global_norm",
                                "training.optimizer=rmsprop, training.learning_rate=0.001",
                                "training.learning_rate=0.05", "model.activation=tanh"]
    clipped = unclipped.with_field("training.clip_mode", "norm")
    [again] = diagnose(clipped, diverged, ADDING_INFO)
    assert not any("clip_mode" in fix for fix in _fields(again))
    # Clipped runs may measure huge gradients before the clip: no harm while the loss stays finite.
    tamed = _history([0.2, 0.1, 0.05], norms={"rnn_1": [5e3] * 12, "head": [0.1] * 12})
    assert diagnose(clipped, tamed, ADDING_INFO) == []
    assert [f.verdict for f in diagnose(unclipped, tamed, ADDING_INFO)] == [EXPLODING]


def test_overfitting_and_the_learning_rate_findings():
    overfit = _history([0.15, 0.1, 0.06, 0.03, 0.01], [0.15, 0.09, 0.1, 0.11, 0.2])
    [finding] = diagnose(_project(model__units=32), overfit, ADDING_INFO)
    assert finding.verdict == OVERFITTING and "from 0.09 (epoch 2) to 0.2 (epoch 5)" in finding.evidence
    assert "training loss fell from 0.1 to 0.01" in finding.evidence
    assert _fields(finding) == ["model.dropout=0.2", "training.early_stopping=true",
                                "dataset.params.samples=2000", "model.units=16"]
    heavy = _project(model__dropout=0.5, training__early_stopping=True, model__units=4)
    assert _fields(diagnose(heavy, overfit, ADDING_INFO)[0]) == ["dataset.params.samples=2000"]

    jumpy = _history([0.1, 0.15, 0.08, 0.14, 0.09, 0.15], [0.1] * 6)
    high = diagnose(_project(training__learning_rate=0.05), jumpy, ADDING_INFO)
    assert [f.verdict for f in high] == [LR_TOO_HIGH]
    assert "rose in 3 of 5 epochs" in high[0].evidence
    assert _fields(high[0]) == ["training.learning_rate=0.005", "training.clip_mode=global_norm"]

    flat = _history([0.170, 0.1699, 0.1698], [0.17, 0.17, 0.17])
    slow = diagnose(_project(training__learning_rate=1e-5), flat, ADDING_INFO)
    assert [f.verdict for f in slow] == [NOT_LEARNING, LR_TOO_LOW]
    assert _fields(slow[1]) == ["training.learning_rate=0.0001"]
    assert "training.learning_rate=0.0001" in _fields(slow[0])  # the cause's fix comes with it
    # The same flat loss at an ordinary rate is no evidence of a small rate.
    assert [f.verdict for f in diagnose(_project(), flat, ADDING_INFO)] == [NOT_LEARNING]


def test_dead_relu_units_and_saturated_gates_from_the_probe():
    relu = _project(model__cell="SimpleRNN", model__activation="relu", training__optimizer="sgd")
    zero = _history([0.18, 0.18, 0.18], [0.18] * 3, norms={"rnn_1": [0.2] * 2 + [0.0] * 10, "head": [0.1] * 12},
                    flow=[0.0, 0.0, 0.0])
    found = diagnose(relu, zero, ADDING_INFO)
    assert [f.verdict for f in found] == [DEAD_RELU, NOT_LEARNING]  # not "vanishing": the units died
    assert "exactly 0 in each of the last 10 batches" in found[0].evidence
    adam = "training.optimizer=adam, training.learning_rate=0.001"
    assert _fields(found[0])[:2] == [adam, "model.activation=tanh"] and _fields(found[1])[0] == adam
    adam_relu = relu.with_field("training.optimizer", "adam")
    assert _fields(diagnose(adam_relu, zero, ADDING_INFO)[0])[0] == "model.activation=tanh"
    hidden = np.zeros((7, 4))
    hidden[:, 0] = 0.5  # one unit of four still speaks
    probe = {"layers": [{"name": "rnn_1", "cell": "SimpleRNN", "hidden": hidden.tolist(), "gates": {}}]}
    quiet = _history([0.18, 0.18, 0.18], [0.18] * 3, probes={3: probe})
    assert "3 of 4 units of rnn_1 output 0" in diagnose(relu, quiet, ADDING_INFO)[0].evidence

    gates = {"input": np.full((7, 4), 0.99).tolist(), "forget": np.full((7, 4), 0.01).tolist(),
             "output": np.full((7, 4), 0.97).tolist(), "candidate": np.full((7, 4), 0.5).tolist()}  # not a gate
    probe = {"layers": [{"name": "rnn_1", "cell": "LSTM", "hidden": np.ones((7, 4)).tolist(), "gates": gates}]}
    stuck = _history([0.18, 0.18, 0.18], [0.18] * 3, probes={3: probe})
    lstm = _project(model__cell="LSTM")
    assert [f.verdict for f in diagnose(lstm, stuck, ADDING_INFO)] == [SATURATED_GATES, NOT_LEARNING]
    undecided = {**gates, "output": np.full((7, 4), 0.5).tolist()}  # a third of the gate values undecided
    probe_undecided = {"layers": [{**probe["layers"][0], "gates": undecided}]}
    assert [f.verdict for f in diagnose(lstm, _history([0.18] * 3, [0.18] * 3, probes={3: probe_undecided}),
                                        ADDING_INFO)] == [NOT_LEARNING]
    learned = _history([0.18, 0.05, 0.01], [0.18, 0.05, 0.01], probes={3: probe})
    assert diagnose(lstm, learned, ADDING_INFO) == []  # shut gates in a net that learned are its memory


def test_fixes_drop_what_is_set_and_what_the_project_refuses():
    project = _project(training__learning_rate=5.0)
    fixes = make_fixes(project, [({"training.learning_rate": 50.0}, "too big for the field"),
                                 ({"training.learning_rate": 5.0, "model.cell": "GRU"}, "half set"),
                                 ({"model.cell": "LSTM"}, "already set")])
    assert [fix.assignment for fix in fixes] == ["model.cell=GRU"]
    assert fixes[0].label == "Cell → GRU" and fixes[0].apply(project).model.cell == "GRU"


def test_the_command_line_report_names_the_findings_and_their_fixes():
    history = _history([0.19, 0.18, 0.18], [0.2, 0.19, 0.19], flow=[1e-12, 1e-6, 1.0])
    lines = report_lines(_project(model__cell="SimpleRNN"), history, ADDING_INFO)
    text = "\n".join(lines)
    assert "Gradient diagnosis:" in text and "Diagnosis:" in text
    assert "  Vanishing gradients: gradient at t=1 is 1e-12" in text
    assert "    fix: --set model.cell=LSTM  (A different network such as an LSTM (lecture)" in text
    assert "  Not learning (underfitting): the run is stable but learns nothing" in text
    assert report_lines(_project(), None) == []


@pytest.fixture(scope="module")
def exploding_example_run(Recorder):
    """The shipped exploding example, shortened to 240 sequences and 1 epoch (its loss jumps to
    ~1e13 at batch 2 and turns NaN at batch 3), trained once and shared (read only) by the two
    tests below: (project, data, recorder, result)."""
    from core.training import train

    project = load_project(EXAMPLES / "exploding_gradients.json")
    project = project.with_override("dataset.params.samples=240").with_override("training.epochs=1")
    data = build_dataset(project.dataset, project.model.io_mode)
    recorder = Recorder()
    return project, data, recorder, train(project, data, listener=recorder)


def test_the_exploding_example_keeps_weights_that_still_predict(exploding_example_run):
    """The shipped example's loss jumps to ~1e12 a batch before it turns NaN; the weights just
    before the NaN are finite but huge and predict NaN. The rescue must keep earlier ones.
    (A test of training's rescue, here rather than in test_training.py to share this run.)"""
    _, data, recorder, result = exploding_example_run
    assert result.stop_reason == "nan"
    assert "exploded at epoch 1" in result.message  # the shipped example shows it at once
    losses = [b.loss for b in recorder.batches]
    assert not np.isfinite(losses[-1]) and max(losses[:-1]) > 1e6  # it did blow up first
    bad = recorder.batches[-1]
    assert result.message.startswith(f"Gradients exploded at epoch {bad.epoch}, batch {bad.batch}: lower the "
                                     "learning rate or enable clipping (training.clip_mode); kept the weights from ")
    predictions = result.model.predict(data.x_val, verbose=0)
    assert np.all(np.isfinite(predictions))
    # Not merely finite: about as good as the starting weights, not 1e12 off.
    val_loss = float(np.mean((predictions[:, 0] - data.y_val.reshape(-1)) ** 2))
    assert val_loss < 10 * max(1.0, float(np.mean(data.y_val ** 2)))


def test_the_exploding_example_gets_exploding_and_its_clipping_fix_trains_without_nan(exploding_example_run):
    from core.training import train

    project, data, _, result = exploding_example_run
    assert result.stop_reason == "nan"
    findings = diagnose(project, result.history, data.info, baseline=untrained_baseline(data.info, data.y_train))
    assert findings[0].verdict == EXPLODING
    clip = findings[0].fixes[0]
    assert clip.assignment == "training.clip_mode=global_norm"
    clipped = train(clip.apply(project), data)
    assert clipped.stop_reason == "completed" and np.isfinite(clipped.history.batch_loss).all()


def test_the_tamed_example_stays_stable_and_learns(StopWhen):
    """Not clipping alone: clipping keeps SGD at 0.5 finite, but its ReLU units die and it learns
    nothing. The tamed example clips and takes Adam's adaptive steps; its validation loss ends far
    below the untrained baseline (stopped once it is a third of it, about epoch 5 of 10)."""
    from core.training import TrainingControl, train

    project = load_project(EXAMPLES / "exploding_clipped.json")
    data = build_dataset(project.dataset, project.model.io_mode)
    baseline = untrained_baseline(data.info, data.y_train).loss
    control = TrainingControl()
    recorder = StopWhen(control, lambda logs: logs["val_loss"] < baseline / 3)
    result = train(project, data, listener=recorder, control=control)
    assert result.stop_reason in ("completed", "stopped")
    assert all(v == v for v in result.final_metrics.values())  # no NaN
    assert result.final_metrics["val_loss"] < baseline / 3
    findings = diagnose(project, result.history, data.info, baseline=untrained_baseline(data.info, data.y_train))
    assert NOT_LEARNING not in [f.verdict for f in findings] and EXPLODING not in [f.verdict for f in findings]
