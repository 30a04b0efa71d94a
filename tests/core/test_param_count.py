"""The live parameter count must equal what Keras builds, layer by layer, without importing TF."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import pytest

from core.datasets.base import CLASSIFICATION, REGRESSION, DataInfo
from core.param_count import count_parameters, frozen_parameters, recurrent_layer_parameters
from core.specs import CELLS, IO_MODES, ModelSpec

ROOT = Path(__file__).resolve().parents[2]


def _info(mode: str, *, tokens: bool = False, features: int = 3, steps: int = 4, out_steps: int = 5,
          classes: int = 4) -> DataInfo:
    """Shapes as core.datasets makes them for each mode (see the table in core/datasets/base.py)."""
    if mode == "one_to_many":
        input_shape: tuple[int, ...] = (features,)
    else:
        input_shape = (steps,) if tokens else (steps, features)
    kind = CLASSIFICATION if tokens else REGRESSION
    if mode in ("many_to_one", "one_to_one"):
        output_shape: tuple[int, ...] = () if kind == CLASSIFICATION else (2,)
        if mode == "one_to_one":
            input_shape = (1,) if tokens else (1, features)
    else:
        length = steps if mode == "many_to_many" else out_steps
        output_shape = (length,) if kind == CLASSIFICATION else (length, 2)
    return DataInfo(
        task="test", io_mode=mode, kind=kind, input_kind="tokens" if tokens else "real",
        input_shape=input_shape, output_shape=output_shape,
        class_names=[f"c{i}" for i in range(classes)] if kind == CLASSIFICATION else [],
        vocabulary=[f"t{i}" for i in range(6)] if tokens else [],
        target_names=["a", "b"] if kind == REGRESSION else [],
    )


def test_lecture_formulas_for_one_layer():
    # SimpleRNN: w_i (d x u) + w_R (u x u) + b (u); LSTM has four such gates, GRU three plus a
    # second bias (Keras' reset_after=True).
    assert recurrent_layer_parameters("SimpleRNN", 2, 3) == 2 * 3 + 3 * 3 + 3
    assert recurrent_layer_parameters("LSTM", 2, 3) == 4 * (2 * 3 + 3 * 3 + 3)
    assert recurrent_layer_parameters("GRU", 2, 3) == 3 * (2 * 3 + 3 * 3) + 2 * 3 * 3
    assert recurrent_layer_parameters("GRU", 2, 3, bidirectional=True) == 2 * (3 * 15 + 18)


def test_count_names_layers_like_the_model_builder():
    spec = ModelSpec(cell="GRU", io_mode="encoder_decoder", layers=2, units=8, bidirectional=True)
    layers, total = count_parameters(spec, _info("encoder_decoder", tokens=True))
    names = [name for name, _ in layers]
    assert names == ["embedding", "encoder_1", "encoder_2", "repeat", "decoder_1", "decoder_2", "head"]
    assert total == sum(count for _, count in layers)
    # Frozen one-hot embedding of a 6-token vocabulary.
    assert dict(layers)["embedding"] == 36
    assert frozen_parameters(spec, _info("encoder_decoder", tokens=True)) == 36


def test_units_change_the_count_quadratically():
    info = _info("many_to_one")
    small = count_parameters(ModelSpec(cell="SimpleRNN", io_mode="many_to_one", units=10), info).total
    big = count_parameters(ModelSpec(cell="SimpleRNN", io_mode="many_to_one", units=20), info).total
    # rnn: 3u + u^2 + u; head: 2u + 2
    assert small == (3 * 10 + 100 + 10) + (10 * 2 + 2)
    assert big == (3 * 20 + 400 + 20) + (20 * 2 + 2)


def _grid() -> list[tuple[ModelSpec, bool]]:
    cases: list[tuple[ModelSpec, bool]] = []
    # Two stacked layers exercise both the first layer (data width) and the stacked one (u or 2u).
    for cell, mode, bidirectional in itertools.product(CELLS, IO_MODES, (False, True)):
        cases.append((ModelSpec(cell=cell, io_mode=mode, layers=2, units=5, bidirectional=bidirectional), False))
    for cell in CELLS:
        cases.append((ModelSpec(cell=cell, io_mode="one_to_many", layers=1, units=4,
                                one_to_many_feed="initial_state"), False))
        cases.append((ModelSpec(cell=cell, io_mode="many_to_many", layers=1, units=3, embedding_dim=0), True))
        cases.append((ModelSpec(cell=cell, io_mode="encoder_decoder", layers=1, units=3, embedding_dim=7,
                                bidirectional=True), True))
    return cases


def test_counts_match_keras_for_every_cell_mode_and_direction():
    pytest.importorskip("keras")
    core_models = pytest.importorskip("core.models")
    cases = _grid()
    mismatches = []
    for spec, tokens in cases:
        info = _info(spec.io_mode, tokens=tokens)
        model = core_models.build_model(spec, info)
        keras_rows = {name: count for name, _cls, count in core_models.layer_parameter_counts(model)}
        ours, total = count_parameters(spec, info)
        if dict(ours) != keras_rows or total != model.count_params():
            mismatches.append(f"{spec} tokens={tokens}: ours {dict(ours)} keras {keras_rows}")
    assert not mismatches, "\n".join(mismatches)
    assert len(cases) >= 39


def test_param_count_does_not_import_tensorflow():
    script = (
        "import sys, core.param_count\n"
        "print(','.join(m for m in ('tensorflow', 'keras') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                            timeout=60, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == ""
