"""Validation during training: every epoch's pass reads on from one iterator of the repeated
validation pipeline (a new one cost ~7 ms an epoch) and still sees every sample exactly once."""

from __future__ import annotations

import pytest

from core.training import train


def test_every_validation_pass_reads_on_from_one_iterator_and_sees_each_sample_once(tiny_data, project,
                                                                                       monkeypatch):
    from keras.src.backend.tensorflow import trainer

    made: list[object] = []  # the epoch iterator each new tf.data iterator was made for
    original = trainer.TFEpochIterator._get_iterator

    def counting(self):
        made.append(self)
        return original(self)

    monkeypatch.setattr(trainer.TFEpochIterator, "_get_iterator", counting)
    # 32 training samples and 12 for validation in batches of 8: each pass is one full batch and
    # one of 4, so a pass that started anywhere but at the first sample, or took a batch too
    # many, would count some samples twice.
    data = tiny_data("many_to_one", n=44, n_val=12, seed=2)
    spec = project("many_to_one", cell="GRU", units=8, training={"epochs": 4, "early_stopping": False})
    result = train(spec, data)
    assert result.epochs_run == 4
    assert len(made) == 2 and made[0] is not made[1]  # one for training, one for all four validations
    evaluated = result.model.evaluate(data.x_val, data.y_val, verbose=0, return_dict=True)
    last = result.history.epochs[-1]
    assert last["val_loss"] == pytest.approx(evaluated["loss"], rel=1e-5)
    assert last["val_accuracy"] == pytest.approx(evaluated["accuracy"], rel=1e-5)
