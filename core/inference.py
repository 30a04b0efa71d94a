"""Predictions and generation with a trained model, decoded into the task's own words.

All inputs are in model space, exactly like the arrays of ``SequenceData`` (token ids, or real
values normalised as ``DataInfo.normalization`` says); ``DataInfo.encode_input`` turns typed text
into that space. Outputs are user space: class probabilities, or regression values with the
normalisation undone.

Models are run with ``predict_on_batch``, which compiles once per model and then costs about a
millisecond per call: generation calls the model once per produced step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.datasets import CLASSIFICATION, REGRESSION, DataInfo
from core.datasets.windows import Windows
from core.errors import DatasetError, RNNLabError, SpecError
from core.model_fit import dims_fit, shape_text
from core.specs import IO_MODE_TITLES

_CHUNK = 512
MAX_GENERATED = 100_000


@dataclass
class Prediction:
    """One sample's prediction, decoded for display."""

    decoded_input: str
    decoded_output: str
    target: str | None = None  # decoded target, when the sample has one
    # Classification: the top classes with their probabilities, one list per output step
    # (a single list for many-to-one and one-to-one).
    probabilities: list[list[tuple[str, float]]] | None = None
    # Probabilities (classification) or de-normalised values (regression), without batch axis.
    output: np.ndarray | None = None
    # De-normalised regression target, or class ids, without batch axis.
    target_values: np.ndarray | None = None
    # Classification with a target: the fraction of output steps predicted right.
    accuracy: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (what `main.py predict --json` prints)."""
        return {
            "input": self.decoded_input,
            "prediction": self.decoded_output,
            "target": self.target,
            "probabilities": None if self.probabilities is None else [
                [{"class": name, "probability": p} for name, p in step] for step in self.probabilities
            ],
            "output": None if self.output is None else np.asarray(self.output, dtype=float).tolist(),
            "target_values": None if self.target_values is None else np.asarray(self.target_values).tolist(),
            "accuracy": self.accuracy,
        }


def predict(model: Any, info: DataInfo, x_batch: np.ndarray) -> np.ndarray:
    """Probabilities (classification) or de-normalised values (regression) for a batch."""
    raw = _forward(model, info, x_batch)
    if info.kind == REGRESSION:
        return np.asarray(info.denormalize_y(raw), dtype=np.float32)
    return raw


def predict_sample(model: Any, info: DataInfo, x: np.ndarray, y: np.ndarray | None = None, *,
                   top_k: int = 3) -> Prediction:
    """Predict one sample (no batch axis) and decode input, prediction and (if given) target."""
    x = np.asarray(x)
    raw = _forward(model, info, x[None, ...])[0]
    prediction = Prediction(
        decoded_input=info.decode_input(x),
        decoded_output=info.decode_output(raw),
        target=None if y is None else info.decode_output(np.asarray(y)),
    )
    if info.kind == CLASSIFICATION:
        prediction.output = raw
        steps = raw.reshape(-1, raw.shape[-1])
        k = max(1, min(top_k, steps.shape[-1]))
        prediction.probabilities = [
            [(info.class_names[int(i)], float(step[i])) for i in np.argsort(-step, kind="stable")[:k]]
            for step in steps
        ]
        if y is not None:
            target_ids = np.asarray(y).astype(int).reshape(-1)
            predicted_ids = np.argmax(steps, axis=-1)
            if target_ids.shape == predicted_ids.shape:
                prediction.accuracy = float(np.mean(target_ids == predicted_ids))
            prediction.target_values = np.asarray(y).astype(int)
    else:
        prediction.output = np.asarray(info.denormalize_y(raw), dtype=np.float32)
        if y is not None:
            prediction.target_values = np.asarray(info.denormalize_y(np.asarray(y, dtype=np.float32)), dtype=np.float32)
    return prediction


def generate_text(model: Any, info: DataInfo, seed_text: str, length: int, temperature: float = 1.0,
                  rng_seed: int | None = 0) -> str:
    """Continue ``seed_text`` by ``length`` tokens, sampling each from the model's prediction.

    Returns only the continuation. Character-level vocabularies continue character by
    character; word-level ones word by word (joined by spaces). The model sees the last
    ``info.input_shape[0]`` tokens; a shorter seed is padded on the left with spaces when the
    vocabulary has one. Lower temperatures pick likelier tokens; the same ``rng_seed`` gives
    the same text.
    """
    _check_text_generation(info)
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or not 1 <= length <= MAX_GENERATED:
        raise SpecError("length", length, f"a whole number from 1 to {MAX_GENERATED}")
    if (isinstance(temperature, bool) or not isinstance(temperature, (int, float))
            or not math.isfinite(temperature) or temperature <= 0):
        raise SpecError("temperature", temperature, "a number > 0 (1 samples as the model predicts)")
    if not isinstance(seed_text, str) or not seed_text:
        raise DatasetError("The seed text is empty: type a few characters for the model to continue.")

    char_level = all(len(token) == 1 for token in info.vocabulary)
    if info.extra.get("lowercase"):
        seed_text = seed_text.lower()
    seed_tokens = list(seed_text.replace("\r\n", "\n")) if char_level else seed_text.split()
    index = {token: i for i, token in enumerate(info.vocabulary)}
    replacement = info.extra.get("replacement") or None
    if replacement in index:
        # The task folded rare characters into one replacement token; the seed is read the same way.
        seed_tokens = [t if t in index else replacement for t in seed_tokens]
    unknown = sorted({t for t in seed_tokens if t not in index})
    if unknown:
        shown = ", ".join(repr(t) for t in unknown[:10])
        more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
        unit = "character" if char_level else "word"
        raise DatasetError(
            f"The seed text has {len(unknown)} {unit}{'s' if len(unknown) > 1 else ''} the model never saw: "
            f"{shown}{more}. Use only {unit}s of the training text."
        )
    window = info.input_shape[0]
    ids = [index[t] for t in seed_tokens]
    if len(ids) < window:
        if " " not in index:
            raise DatasetError(
                f"The seed text has {len(ids)} tokens; this model reads windows of {window}: type at least {window}."
            )
        ids = [index[" "]] * (window - len(ids)) + ids
    ids = ids[-window:]
    # An output class is fed back as the input token of the same name.
    class_to_token = np.array([index[name] for name in info.class_names], dtype=np.int64)
    rng = np.random.default_rng(rng_seed)
    produced: list[str] = []
    context = np.asarray(ids, dtype=np.int32)
    for _ in range(int(length)):
        probs = _forward(model, info, context[None, :])[0]
        if info.io_mode == "many_to_many":
            probs = probs[-1]
        choice = _sample(probs, float(temperature), rng)
        produced.append(info.class_names[choice])
        context = np.concatenate([context[1:], np.asarray([class_to_token[choice]], dtype=np.int32)])
    return "".join(produced) if char_level else " ".join(produced)


def generate_series(model: Any, info: DataInfo, seed_window: np.ndarray, steps: int) -> np.ndarray:
    """Continue a time series; returns de-normalised values of shape (steps, targets).

    Many-to-one and many-to-many models forecasting one step ahead are run autoregressively:
    each prediction (model-space target) is de-normalised, normalised as the input feature it
    predicts, appended to the window, and the oldest step dropped. ``seed_window`` is a model-space
    input of at least ``info.input_shape[0]`` steps (the last ones are used). A one-to-many model
    produces its whole sequence from ``seed_window`` (its start vector) at once; ``steps`` may
    shorten it.
    """
    if info.kind != REGRESSION:
        raise RNNLabError(
            f"Series generation needs a model that predicts values; this {info.task} model predicts classes."
        )
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or not 1 <= steps <= MAX_GENERATED:
        raise SpecError("steps", steps, f"a whole number from 1 to {MAX_GENERATED}")
    seed = np.asarray(seed_window, dtype=np.float32)
    if info.io_mode == "one_to_many":
        start = seed.reshape(info.input_shape) if seed.size == math.prod(info.input_shape) else seed
        values = predict(model, info, start[None, ...])[0]
        values = values.reshape(values.shape[0], -1)
        if steps > len(values):
            raise RNNLabError(
                f"This one-to-many model produces {len(values)} steps; it cannot produce {steps}."
            )
        return values[:steps]
    if info.io_mode not in ("many_to_one", "many_to_many"):
        raise RNNLabError(
            f"Series generation works with many-to-one, many-to-many and one-to-many models, "
            f"not {IO_MODE_TITLES.get(info.io_mode, info.io_mode)}."
        )
    horizon = info.extra.get("horizon", 1)
    if horizon not in (1, None):
        raise RNNLabError(
            f"This model forecasts {horizon} steps ahead; generation feeds each prediction back as the "
            f"next step, which needs a one-step-ahead model (horizon 1)."
        )
    window, n_features = info.input_shape[0], info.input_shape[-1]
    if seed.ndim == 1 and n_features == 1:
        seed = seed[:, None]
    if seed.ndim != 2 or seed.shape[1] != n_features:
        raise DatasetError(
            f"The seed window has shape {tuple(seed.shape)}; expected (steps, {n_features}) with at least {window} steps."
        )
    if len(seed) < window:
        raise DatasetError(f"The seed window has {len(seed)} steps; this model reads windows of {window}.")
    feedback = _feedback_features(info)
    x_mean, x_std = info.x_stats()
    context = seed[-window:].copy()
    out = np.empty((steps, len(feedback)), dtype=np.float32)
    for s in range(steps):
        raw = _forward(model, info, context[None, ...])[0]
        step = raw[-1] if info.io_mode == "many_to_many" else raw
        values = np.asarray(info.denormalize_y(step), dtype=np.float32).reshape(-1)
        out[s] = values
        row = np.empty(n_features, dtype=np.float32)
        row[feedback] = (values - x_mean[feedback]) / x_std[feedback]
        context = np.concatenate([context[1:], row[None, :]], axis=0)
    return out


# --- helpers --------------------------------------------------------------------------------


def check_input(model: Any, info: DataInfo, x_batch: np.ndarray) -> None:
    """Whether ``model`` reads the samples of ``x_batch`` (model space, batch axis first): their
    shape, and their token ids. Every way into a model (predictions, states, connectivity) asks
    here, so a typed sequence of a length the model refuses gets the same message, which names
    the length it reads."""
    x = x_batch if isinstance(x_batch, Windows) else np.asarray(x_batch)
    expected = _model_input_shape(model, info)
    if x.ndim != len(expected) + 1 or not dims_fit(expected, tuple(x.shape[1:])):
        if x.ndim == len(expected) + 1 and tuple(x.shape[2:]) == expected[1:]:
            raise DatasetError(
                f"This model reads exactly {expected[0]} steps and the input has {x.shape[1]}: its input has a "
                f"fixed length (the model was built for one length, or a layer such as Flatten needs one).")
        raise DatasetError(
            f"The input has shape {tuple(x.shape[1:]) if x.ndim else ()} per sample; this model expects "
            f"{shape_text(expected)}."
        )
    if info.input_kind == "tokens":
        ids = x.rows if isinstance(x, Windows) else x
        if ids.size and len(x) and (np.min(ids) < 0 or np.max(ids) >= info.vocab_size):
            raise DatasetError(f"Token ids must be from 0 to {info.vocab_size - 1} (the vocabulary size).")


def _forward(model: Any, info: DataInfo, x_batch: np.ndarray) -> np.ndarray:
    dtype = np.int32 if info.input_kind == "tokens" else np.float32
    # Windows cut on demand (a big CSV or text) are cut one chunk at a time, never all at once.
    x = x_batch if isinstance(x_batch, Windows) else np.asarray(x_batch)
    check_input(model, info, x)
    if len(x) == 0:
        return np.zeros((0,) + tuple(d or 0 for d in model.output_shape[1:]), dtype=np.float32)
    parts = [np.asarray(model.predict_on_batch(np.asarray(x[i:i + _CHUNK], dtype=dtype)))
             for i in range(0, len(x), _CHUNK)]
    return np.concatenate(parts, axis=0)


def _model_input_shape(model: Any, info: DataInfo) -> tuple:
    """The per-sample input shape the model reads: the data's, with None where the model's own
    input leaves a size open (the time axis of a model that reads any length)."""
    expected = tuple(info.input_shape)
    try:
        own = tuple(model.input_shape[1:])
    except (AttributeError, TypeError, ValueError):
        return expected
    if len(own) != len(expected):
        return expected
    return tuple(None if o is None else e for o, e in zip(own, expected))


def _sample(probs: np.ndarray, temperature: float, rng: np.random.Generator) -> int:
    p = np.asarray(probs, dtype=np.float64).reshape(-1)
    logits = np.log(np.clip(p, 1e-30, None)) / temperature
    logits -= logits.max()
    weights = np.exp(logits)
    weights /= weights.sum()
    return int(rng.choice(len(weights), p=weights))


def _check_text_generation(info: DataInfo) -> None:
    if info.input_kind != "tokens" or info.kind != CLASSIFICATION:
        raise RNNLabError(
            f"Text generation needs a model that reads tokens and predicts the next token; "
            f"this {info.task} model reads {info.input_kind} values and predicts {info.kind}."
        )
    if info.io_mode not in ("many_to_one", "many_to_many"):
        raise RNNLabError(
            f"Text generation works with many-to-one and many-to-many models, not "
            f"{IO_MODE_TITLES.get(info.io_mode, info.io_mode)}."
        )
    vocab = set(info.vocabulary)
    foreign = [name for name in info.class_names if name not in vocab]
    if foreign:
        raise RNNLabError(
            f"Text generation feeds each prediction back as input, but this {info.task} model predicts "
            f"classes that are not input tokens ({', '.join(foreign[:5])})."
        )


def _feedback_features(info: DataInfo) -> np.ndarray:
    """Index of the input feature each predicted target is fed back as."""
    if not info.predicts_every_input():
        targets = ", ".join(info.target_names) or f"{info.output_dim} value(s)"
        features = ", ".join(info.feature_names) or f"{info.input_shape[-1]} features"
        raise RNNLabError(
            f"Series generation feeds each prediction back as the next input, so the model must predict "
            f"every input feature; this one predicts {targets} from {features}."
        )
    return np.asarray(info.feedback_features(), dtype=np.int64)
