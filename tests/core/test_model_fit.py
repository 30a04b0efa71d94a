"""One shape rule for "does this model fit this data": importing, continuing and predicting."""

from __future__ import annotations

import dataclasses

import pytest

from core.datasets.base import CLASSIFICATION, REGRESSION, DataInfo
from core.errors import ModelFileError
from core.model_fit import check_model_fits, same_dataset_layout, same_shapes
from core.models import build_model
from core.specs import ModelSpec


def info(*, steps: int = 5, features: int = 3, classes: int = 3, task: str = "tiny",
         kind: str = CLASSIFICATION) -> DataInfo:
    regression = kind == REGRESSION
    return DataInfo(task=task, io_mode="many_to_many", kind=kind, input_kind="real",
                    input_shape=(steps, features), output_shape=(steps, 2) if regression else (steps,),
                    class_names=[] if regression else [f"c{i}" for i in range(classes)],
                    target_names=["u", "v"] if regression else [])


@pytest.fixture(scope="module")
def model():
    return build_model(ModelSpec(cell="GRU", io_mode="many_to_many", units=4), info())


def test_a_model_fits_the_data_it_was_built_for(model):
    check_model_fits(model, info())


def test_other_inputs_are_refused_with_the_file_and_the_shapes(model):
    with pytest.raises(ModelFileError) as caught:
        check_model_fits(model, info(features=4), source="week.keras")
    assert str(caught.value) == ("week.keras: the model expects inputs of shape (any, 3), but the dataset gives "
                                 "(5, 4): choose the dataset the model was trained on.")


def test_an_open_length_takes_any_length_but_not_another_output_size(model):
    import keras

    inputs = keras.Input(shape=(None, 3))
    open_length = keras.Model(inputs, keras.layers.Dense(3)(keras.layers.GRU(4, return_sequences=True)(inputs)))
    check_model_fits(open_length, info(steps=9))
    with pytest.raises(ModelFileError, match="the model has 3 outputs per step, but the dataset needs 4"):
        check_model_fits(model, info(classes=4))


def test_something_that_is_not_a_model_is_refused():
    with pytest.raises(ModelFileError, match="^m.keras: the model has no single input and output"):
        check_model_fits(object(), info(), source="m.keras")


def test_same_shapes_compares_what_a_model_is_fed_and_gives():
    base = info()
    assert same_shapes(base, info())
    assert same_shapes(base, info(task="other"))
    assert not same_shapes(base, info(steps=6))
    assert not same_shapes(base, info(classes=4))
    assert not same_shapes(base, info(kind=REGRESSION))
    assert not same_shapes(base, dataclasses.replace(base, io_mode="one_to_many"))
    assert same_dataset_layout(base, info()) and not same_dataset_layout(base, info(task="other"))
