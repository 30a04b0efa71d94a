"""Weight health (spectral radius of w_R, histograms) and the per-epoch probe, recorded with the History."""

from __future__ import annotations

import json
import math
import pickle

import keras
import numpy as np
import pytest
import tensorflow as tf

from core.history import Divergence, History
from core.models import build_model
from core.specs import ModelSpec
from core.training import train
from core.weight_health import histogram, radii_with, radius_lines, recurrent_blocks, spectral_radii, spectral_radius


def test_spectral_radius_of_known_matrices():
    angle = 0.3
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    assert spectral_radius(0.5 * rotation) == pytest.approx(0.5)  # complex eigenvalues 0.5 e^{±0.3i}
    assert spectral_radius(np.diag([2.0, -3.0])) == pytest.approx(3.0)
    assert spectral_radius(np.array([[0.0, 1.0], [0.0, 0.0]])) == 0.0  # nilpotent: norm 1, radius 0
    assert math.isnan(spectral_radius(np.array([[np.nan]])))
    with pytest.raises(ValueError, match="square"):
        spectral_radius(np.ones((2, 3)))


@pytest.mark.parametrize("cell, blocks", [
    ("SimpleRNN", ["w_R"]),
    ("LSTM", ["input", "forget", "candidate", "output"]),
    ("GRU", ["update", "reset", "candidate"]),
])
def test_each_gate_block_of_w_r_gets_its_own_radius(tiny_data, cell, blocks):
    data = tiny_data("many_to_one", n=4, n_val=2)
    keras.utils.set_random_seed(0)
    model = build_model(ModelSpec(cell=cell, io_mode="many_to_one", units=3, bidirectional=True), data.info)
    forward = model.get_layer("rnn_1").forward_layer.cell
    kernel = np.zeros((3, 3 * len(blocks)), dtype=np.float32)
    for i in range(len(blocks)):
        kernel[:, 3 * i:3 * (i + 1)] = np.diag([0.1 * (i + 1), -0.2 * (i + 1), 0.0])
    forward.recurrent_kernel.assign(kernel)
    radii = spectral_radii(model)
    assert set(radii) == {"rnn_1/forward", "rnn_1/backward"}
    assert list(radii["rnn_1/forward"]) == blocks
    for i, block in enumerate(blocks):
        assert radii["rnn_1/forward"][block] == pytest.approx(0.2 * (i + 1))
    backward = recurrent_blocks(model)["rnn_1/backward"]
    assert all(m.shape == (3, 3) for m in backward.values())


def test_histogram_counts_every_value_in_symmetric_bins():
    values = [np.array([-2.0, -1.0, 0.0, 0.5, 2.0]), np.array([[np.nan, np.inf]])]
    h = histogram(values, bins=4)
    assert (h["lo"], h["hi"]) == (-2.0, 2.0)
    assert h["counts"] == [1, 1, 2, 1] and h["nonfinite"] == 2  # bins [-2,-1) [-1,0) [0,1) [1,2]
    zeros = histogram([np.zeros(7)], bins=3)
    assert zeros["counts"] == [0, 7, 0]  # dead gradients: one spike at 0


def _probe(steps: int, units: int) -> dict:
    hidden = np.zeros((steps, units)).tolist()
    return {"steps": steps, "input": ["a"] * steps, "output": [[0.5, 0.5]] * steps,
            "layers": [{"name": "rnn_1", "cell": "SimpleRNN", "hidden": hidden, "gates": {}}]}


def test_probes_kept_span_the_whole_run_in_bounded_number():
    history = History()
    for epoch in range(1, 101):
        history.add_probe(epoch, _probe(5, 2))
        assert len(history.probes) <= History.MAX_PROBES
    kept = sorted(history.probes)
    assert kept[0] == 1 and kept[-1] == 100
    strides = set(np.diff(kept[:-1]))
    assert len(strides) == 1 and strides.pop() in (4, 8)  # evenly spaced, a power of two apart
    big = History()
    for epoch in range(1, 11):
        big.add_probe(epoch, _probe(500, 1000))  # 500k numbers each: only the first and newest stay
    assert sorted(big.probes) == [1, 10]


@pytest.fixture(scope="module")
def looked_every_epoch(tiny_data, Recorder, project):
    """A 2-epoch GRU run that looked inside after every epoch, whatever it cost (the budget depends
    on timing), shared (read only) by the tests below: (data, recorder, result)."""
    import core.epoch_probe as epoch_probe

    data = tiny_data("many_to_one", n=40, n_val=16)
    recorder = Recorder()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(epoch_probe, "BUDGET", 1e9)
        result = train(project("many_to_one", cell="GRU", units=5, training={"epochs": 2}), data, listener=recorder)
    return data, recorder, result


def test_history_round_trip_and_old_histories(looked_every_epoch):
    data, recorder, result = looked_every_epoch
    history = result.history
    for event in recorder.epochs:
        assert set(event.health) == {"spectral_radius", "weight_histograms", "gradient_histograms"}
        assert set(event.health["gradient_histograms"]) == {"rnn_1", "head"}
        assert event.probe["steps"] == data.x_val.shape[1]
        assert "connectivity" in event.probe
    assert all(len(v) == 2 for v in history.spectral_radius["rnn_1"].values())
    assert sorted(history.probes) == [1, 2]
    assert history.divergence is None and "divergence" not in history.to_dict()
    text = json.dumps(history.to_dict())
    back = History.from_dict(json.loads(text))
    assert back.to_dict() == history.to_dict()
    old = {k: v for k, v in json.loads(text).items()
           if k not in ("spectral_radius", "weight_histograms", "gradient_histograms", "probes")}
    assert History.from_dict(old).probes == {} and History.from_dict(old).spectral_radius == {}
    broken = json.loads(text)
    broken["gradient_histograms"][1]["head"] = {"lo": -1, "hi": 1, "counts": [1, -2]}
    with pytest.raises(ValueError, match=r"gradient_histograms\[1\].head"):
        History.from_dict(broken)
    broken = json.loads(text)
    broken["probes"][0]["states"]["layers"][0]["hidden"] = "lots"
    with pytest.raises(ValueError, match=r"probes\[0\].states: layers\[0\].hidden"):
        History.from_dict(broken)


def test_recorded_weights_and_gradients_are_the_models(looked_every_epoch):
    """The last epoch's histograms describe the final weights and the probe batch's gradients."""
    data, _, result = looked_every_epoch
    model = result.model
    layer = model.get_layer("rnn_1")
    weights = np.concatenate([np.ravel(w) for w in layer.get_weights()])
    recorded = result.history.weight_histograms[-1]["rnn_1"]
    assert recorded["hi"] == pytest.approx(np.max(np.abs(weights)))
    assert sum(recorded["counts"]) == weights.size
    x, y = tf.constant(data.x_val), tf.constant(data.y_val)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y, model(x)))
    gradients = tape.gradient(loss, layer.trainable_weights)
    largest = max(float(np.max(np.abs(g))) for g in gradients)
    assert result.history.gradient_histograms[-1]["rnn_1"]["hi"] == pytest.approx(largest, rel=1e-4)
    assert result.history.spectral_radius["rnn_1"]["update"][-1] == pytest.approx(
        spectral_radius(np.asarray(layer.cell.recurrent_kernel)[:, :5]))


def look(probe, epoch_s: float):
    """One epoch end's look of a 10-epoch run, as core.training asks for it (no flow gradients)."""
    return probe.take(probe.plan(epoch_s), 10, None)

def test_looking_inside_keeps_to_its_time_budget(tiny_data):
    from core.epoch_probe import EpochProbe

    data = tiny_data("many_to_many", n=4, n_val=2)
    keras.utils.set_random_seed(0)
    model = build_model(ModelSpec(cell="GRU", io_mode="many_to_many", units=3), data.info)
    probe = EpochProbe(model, data.info, data.x_val[0], [])
    states, health = look(probe, 1.0)  # the first epoch always looks and warms up
    assert "connectivity" in states and health["spectral_radius"]["rnn_1"].keys() == {"update", "reset", "candidate"}
    # Budget: 1 % of the training time of the epochs after the first.
    probe.spent_s, probe.light_cost_s, probe.connectivity_cost_s = 0.0, 0.005, 0.5
    states, health = look(probe, 1.0)  # 10 ms allowed: the states fit, the connectivity not
    assert states is not None and "connectivity" not in states and health is not None
    probe.spent_s, probe.light_cost_s = 0.009, 0.006
    assert look(probe, 0.1) == (None, None)  # 11 ms allowed, 9 spent: 6 ms do not fit
    probe.spent_s, probe.light_cost_s, probe.connectivity_cost_s = 0.009, 0.002, 0.002
    states, _ = look(probe, 0.0)  # ... but a look under 5 ms always happens
    assert "connectivity" in states
    probe.spent_s, probe.light_cost_s, probe.connectivity_cost_s = 0.009, 0.006, 0.5
    states, _ = look(probe, 60.0)  # a minute later there is time for everything
    assert "connectivity" in states


def test_the_first_look_measures_a_look_so_the_second_epoch_keeps_to_the_budget(tiny_data, monkeypatch):
    """A look that does not fit in 1 % of the second epoch waits: the first look's warm second pass
    says what it costs. (The second epoch had looked unconditionally to find out: a 2-layer LSTM
    then spent ~3 % of a 1-second epoch looking.)"""
    import core.epoch_probe as epoch_probe

    monkeypatch.setattr(epoch_probe, "CHEAP_S", 0.0)  # as for a heavy model: no look is cheap
    data = tiny_data("many_to_many", n=4, n_val=2)
    keras.utils.set_random_seed(0)
    model = build_model(ModelSpec(cell="LSTM", io_mode="many_to_many", units=3), data.info)
    probe = epoch_probe.EpochProbe(model, data.info, data.x_val[0], [])
    states, _health = look(probe, 1.0)
    assert states is not None and 0 < probe.light_cost_s < 1.0
    # The connectivity's cost is known too: the first look with it will not overrun the budget.
    assert 0 < probe.connectivity_cost_s < 1.0
    assert probe.spent_s == 0  # the first epoch is not in the budget
    # 1 % of 50 looks' time allowed: half a look (a tiny model's look can take under a millisecond)
    assert look(probe, 50 * probe.light_cost_s) == (None, None)
    # Now a whole look fits: 1 % of this epoch is twice the look with its connectivity, whatever
    # the two measured costs' ratio (it reached 10 with the suite's other worker busy).
    states, _health = look(probe, 200 * (probe.light_cost_s + probe.connectivity_cost_s))
    assert states is not None and "connectivity" in states


def test_the_spectral_radii_keep_a_budget_of_their_own(tiny_data):
    """A wide model's eigenvalue problems take seconds (four 1024-unit LSTM blocks: 10-30 s here):
    its radii wait until they fit in 2 % of the training time, while the rest of each look goes on."""
    from core.epoch_probe import EpochProbe

    data = tiny_data("many_to_many", n=4, n_val=2)
    model = build_model(ModelSpec(cell="GRU", io_mode="many_to_many", units=3), data.info)
    probe = EpochProbe(model, data.info, data.x_val[0], [])
    probe.radius_estimate_s = 5.0  # as for a wide model
    states, health = look(probe, 10.0)  # 2 % of 10 s: 0.2 s
    assert states is not None and "weight_histograms" in health and health["spectral_radius"] == {}
    _, health = look(probe, 100.0)  # 2.2 s
    assert health["spectral_radius"] == {}
    _, health = look(probe, 200.0)  # 6.2 s: they fit now
    assert health["spectral_radius"]["rnn_1"].keys() == {"update", "reset", "candidate"}
    assert probe.radius_spent_s > 0 and probe.radius_estimate_s < 5.0  # what they really took counts from now


def test_the_radius_cost_is_estimated_from_the_gate_blocks_sizes(tiny_data):
    from core.weight_health import radius_seconds

    data = tiny_data("many_to_one", n=4, n_val=2)
    small, wide, wider = (build_model(ModelSpec(cell=cell, io_mode="many_to_one", units=units), data.info)
                          for cell, units in (("LSTM", 128), ("GRU", 256), ("LSTM", 512)))
    assert radius_seconds(small) == 0.0  # a few ms: not worth timing
    # LAPACK's solver grows as n^3: four 512-unit blocks against three 256-unit ones.
    assert radius_seconds(wide) > 0 and radius_seconds(wider) / radius_seconds(wide) == pytest.approx(4 * 8 / 3)


def test_skipped_epochs_leave_gaps_in_the_history():
    history = History()
    health = {"spectral_radius": {"rnn_1": {"w_R": 0.9}}, "weight_histograms": {"rnn_1": histogram([np.ones(3)])},
              "gradient_histograms": {}}
    for value in (health, None, health):
        history.add_health(value)
    assert history.spectral_radius["rnn_1"]["w_R"][0] == 0.9 and math.isnan(history.spectral_radius["rnn_1"]["w_R"][1])
    assert [bool(h) for h in history.weight_histograms] == [True, False, True]
    back = History.from_dict(json.loads(json.dumps(history.to_dict())))
    assert math.isnan(back.spectral_radius["rnn_1"]["w_R"][1]) and back.weight_histograms[1] == {}


# --- the radius that blew up, kept from before the rescue -----------------------------------


def test_a_diverged_run_keeps_the_radius_of_w_r_from_just_before_the_rescue(project, Recorder):
    """The epoch's health is taken after the rescue went back to older weights; the divergence
    keeps the radius of the weights the NaN batch started from, the one that blew up."""
    from test_training import EXPLODING, HUGE_LR, exploding_data

    spec = project("many_to_one", training=HUGE_LR, **EXPLODING)
    data = exploding_data()
    keras.utils.set_random_seed(spec.training.seed)
    model = build_model(spec.model, data.info)
    kernel = model.get_layer("rnn_1").cell.recurrent_kernel
    kernels = [np.asarray(kernel)]  # w_R after each batch (the first: as built)

    class Kernels(Recorder):
        def on_batch_end(self, event):
            super().on_batch_end(event)
            kernels.append(np.asarray(kernel))

    recorder = Kernels()
    result = train(spec, data, listener=recorder, model=model)
    assert result.stop_reason == "nan"
    bad = recorder.batches[-1]
    divergence = result.history.divergence
    assert (divergence.epoch, divergence.batch, divergence.global_batch) == (bad.epoch, bad.batch, bad.global_batch)
    assert divergence.weights_after == bad.global_batch - 1
    assert divergence.cause == ("nan_loss" if math.isnan(bad.loss) else "inf_loss" if math.isinf(bad.loss)
                                else "gradients")
    radius = divergence.spectral_radius["rnn_1"]["w_R"]
    assert math.isfinite(radius) and radius > 1, "the recurrent kernel that exploded"
    assert radius == pytest.approx(spectral_radius(kernels[divergence.weights_after]))
    rescued = result.history.spectral_radius["rnn_1"]["w_R"][-1]
    assert rescued == pytest.approx(spectral_radius(np.asarray(kernel)))  # the epoch's point: the kept weights
    assert radius > 10 * rescued
    # The listener (the window's plots) gets it with that epoch's health, through the runner's pipe.
    event = pickle.loads(pickle.dumps(recorder.epochs[-1]))
    assert event.health["divergence"] == divergence
    live = History()
    live.add_health(event.health)
    assert live.divergence == divergence and live.spectral_radius["rnn_1"]["w_R"] == [pytest.approx(rescued)]

    back = History.from_dict(json.loads(json.dumps(result.history.to_dict())))
    assert back.divergence == divergence
    assert back.to_dict() == result.history.to_dict()
    old = {k: v for k, v in result.history.to_dict().items() if k != "divergence"}
    assert History.from_dict(old).divergence is None
    broken = result.history.to_dict()
    broken["divergence"]["cause"] = "boredom"
    with pytest.raises(ValueError, match=r"divergence.cause"):
        History.from_dict(broken)
    broken["divergence"] = {**result.history.to_dict()["divergence"], "spectral_radius": {"rnn_1": {"w_R": "big"}}}
    with pytest.raises(ValueError, match=r"divergence.spectral_radius"):
        History.from_dict(broken)


def test_the_divergence_is_measured_on_the_newest_finite_weights_or_unknown(tiny_data):
    from types import SimpleNamespace

    from core.training import _Run

    data = tiny_data("many_to_one", n=4, n_val=2)
    keras.utils.set_random_seed(0)
    model = build_model(ModelSpec(cell="SimpleRNN", io_mode="many_to_one", units=3), data.info)
    variables = model.trainable_variables
    built = spectral_radius(np.asarray(model.get_layer("rnn_1").cell.recurrent_kernel))

    def copies(scale: float) -> SimpleNamespace:
        return SimpleNamespace(copies=[np.asarray(v) * scale if np.isfinite(scale)
                                       else np.full(tuple(v.shape), scale, dtype=np.float32) for v in variables])

    # _Run's state at a diverged batch, without a training: the wrapper's two newest copies.
    run = _Run.__new__(_Run)
    run.model, run.epoch, run.global_batch, run.history = model, 2, 7, History()
    run.epoch_probe = None  # no budget: always measured
    run.wrapper = SimpleNamespace(_snapshot=copies(np.nan), _previous=copies(3.0), trainable_weights=variables)
    run.record_divergence(batch=3, loss=float("nan"))
    divergence = run.history.divergence
    assert (divergence.weights_after, divergence.cause) == (5, "nan_loss"), "one batch older: the newest finite"
    assert divergence.spectral_radius["rnn_1"]["w_R"] == pytest.approx(3 * built)
    run.wrapper._previous = copies(np.inf)
    run.record_divergence(batch=3, loss=float("inf"))
    divergence = run.history.divergence
    assert (divergence.weights_after, divergence.cause) == (6, "inf_loss")
    assert math.isnan(divergence.spectral_radius["rnn_1"]["w_R"]), "no finite weights: unknown, not the rescued ones"
    back = Divergence.from_dict(json.loads(json.dumps(divergence.to_dict())))
    assert math.isnan(back.spectral_radius["rnn_1"]["w_R"]) and back.words == "the loss became infinite"
    # A w_R among no given variables is unknown too, never read from the (NaN) model.
    assert math.isnan(radii_with(model, [], [])["rnn_1"]["w_R"])


def test_a_divergence_takes_its_radii_within_the_budget_of_the_epochs_radii(tiny_data):
    """A w_R too wide for the radii's time budget at that point is left out (a 1,024-unit LSTM's
    held the run 3 s on idle cores, up to ~30 s on busy ones), and says so, rather than being
    read as "no finite weights"."""
    from types import SimpleNamespace

    from core.epoch_probe import EpochProbe
    from core.training import _Run

    data = tiny_data("many_to_one", n=4, n_val=2)
    keras.utils.set_random_seed(0)
    model = build_model(ModelSpec(cell="SimpleRNN", io_mode="many_to_one", units=3), data.info)
    variables = model.trainable_variables
    probe = EpochProbe(model, data.info, None, [])
    run = _Run.__new__(_Run)
    run.model, run.epoch, run.global_batch, run.history, run.epoch_probe = model, 1, 3, History(), probe
    run.wrapper = SimpleNamespace(_snapshot=SimpleNamespace(copies=[np.asarray(v) for v in variables]),
                                  _previous=None, trainable_weights=variables)

    run.record_divergence(batch=3, loss=float("nan"))  # 3 units: cheap, always taken
    measured = run.history.divergence
    assert measured.radius_measured and math.isfinite(measured.spectral_radius["rnn_1"]["w_R"])
    assert probe.radius_spent_s > 0

    probe.radius_estimate_s = 20.0  # as a wide model's, one epoch (10 s) into the run
    probe.all_training_s = 10.0
    run.record_divergence(batch=3, loss=float("nan"))
    skipped = run.history.divergence
    assert not skipped.radius_measured and skipped.spectral_radius == {}
    back = Divergence.from_dict(json.loads(json.dumps(skipped.to_dict())))
    assert back == skipped
    lines = radius_lines({}, skipped.to_dict())
    assert lines[-1].strip() == "w_R not measured: too wide for the radii's time budget at that point"
    # Late in a long run the same radii fit in the budget again.
    probe.all_training_s = 2000.0
    run.record_divergence(batch=3, loss=float("nan"))
    assert run.history.divergence.radius_measured
    # A file written before the budget existed reads as measured; a wrong kind is named.
    old = {k: v for k, v in measured.to_dict().items() if k != "radius_measured"}
    assert Divergence.from_dict(old).radius_measured
    with pytest.raises(ValueError, match=r"divergence.radius_measured"):
        Divergence.from_dict({**old, "radius_measured": "no"})


def test_inspect_lines_give_the_radius_just_before_a_divergence():
    divergence = Divergence(epoch=1, batch=2, global_batch=2, weights_after=1, cause="gradients",
                            spectral_radius={"rnn_1": {"w_R": 1.41}, "rnn_2": {"w_R": float("nan")}})
    lines = radius_lines({"rnn_1": {"w_R": [1.0]}}, divergence.to_dict())
    text = "\n".join(lines)
    assert "Spectral radius of w_R per epoch" in text and "1  (about 1)" not in text
    assert "just before diverging (epoch 1, batch 2: the gradients became NaN or infinite):" in text
    assert [line.split() for line in lines[-2:]] == [["rnn_1", "1.41"], ["rnn_2", "-", "(no", "finite", "weights",
                                                                       "were", "kept)"]]
    # A run that did not diverge prints the per-epoch radii only; one without them prints nothing.
    assert radius_lines({"rnn_1": {"w_R": [1.0]}}) == lines[:-3]
    assert radius_lines({}) == []
