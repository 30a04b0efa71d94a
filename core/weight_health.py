"""Weight health per epoch: the spectral radius of each recurrent kernel and histograms per layer.

The lecture's rule for a linear recurrence h(t) = w_R h(t-1): repeated multiplication by w_R
shrinks a signal when its spectral radius (largest |eigenvalue|) is below 1 and blows it up
above 1, so the gradient through time vanishes or explodes. A nonlinear cell only roughly
follows it, but the radius over epochs shows which side a layer drifts to. LSTM and GRU get one
radius per gate block of w_R (input, forget, candidate, output; update, reset, candidate);
SimpleRNN one, under "w_R".

Histograms have BINS equal bins over [-m, m], m the largest |value| of that layer at that epoch
(so each epoch's shape is visible whatever the scale), as ``{"lo", "hi", "counts"}``; values
that are not finite are counted apart under "nonfinite". Gradients are those of the loss on the
probe batch at the epoch's end (the gradient-flow pass, so they cost nothing extra).

Layer keys are those of the gradient norms ("rnn_1", "rnn_1/forward", "head").
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from core.monitoring import keyed_layers

BINS = 30
_GATE_BLOCKS = {
    "LSTMCell": ("input", "forget", "candidate", "output"),
    "GRUCell": ("update", "reset", "candidate"),
    "SimpleRNNCell": ("w_R",),
}


def spectral_radius(matrix: np.ndarray) -> float:
    """The largest |eigenvalue| of a square matrix (NaN when it holds NaN or infinities)."""
    matrix = np.asarray(matrix, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"expected a square matrix, received shape {matrix.shape}")
    if matrix.size == 0:
        return 0.0
    if not np.all(np.isfinite(matrix)):
        return float("nan")
    return float(np.max(np.abs(np.linalg.eigvals(matrix))))


# LAPACK's eigenvalue solver grows as n^3: a few ms for a 128 x 128 block, seconds for 1024 x 1024.
_REFERENCE_UNITS = 128
_seconds_per_cubed_unit: float | None = None


def radius_seconds(model) -> float:
    """About how long ``spectral_radii(model)`` takes on this machine: the reference block's
    solve, timed once per process, scaled by n^3 for each gate block (0 for blocks up to the
    reference size, whose cost is a few ms)."""
    big = [int(cell.recurrent_kernel.shape[0]) for _key, cell, names in _recurrent_cells(model) for _name in names]
    big = [n for n in big if n > _REFERENCE_UNITS]
    if not big:
        return 0.0
    global _seconds_per_cubed_unit
    if _seconds_per_cubed_unit is None:
        reference = np.random.default_rng(0).standard_normal((_REFERENCE_UNITS, _REFERENCE_UNITS))
        np.linalg.eigvals(reference)  # the first call pays for loading LAPACK's routines
        start = time.perf_counter()
        np.linalg.eigvals(reference)
        _seconds_per_cubed_unit = (time.perf_counter() - start) / _REFERENCE_UNITS**3
    return _seconds_per_cubed_unit * sum(n**3 for n in big)


def recurrent_blocks(model, read: Callable[[Any], np.ndarray] = np.asarray) -> dict[str, dict[str, np.ndarray]]:
    """Layer key -> gate block -> that block of w_R (units x units), for every recurrent layer."""
    blocks: dict[str, dict[str, np.ndarray]] = {}
    for key, cell, names in _recurrent_cells(model):
        kernel = np.asarray(read(cell.recurrent_kernel))
        blocks[key] = dict(zip(names, np.split(kernel, len(names), axis=1)))
    return blocks


def _recurrent_cells(model) -> Iterator[tuple[str, Any, tuple[str, ...]]]:
    """(layer key, cell, its gate blocks' names) of every recurrent layer."""
    for key, layer in keyed_layers(model):
        cell = getattr(layer, "cell", None)
        names = _GATE_BLOCKS.get(type(cell).__name__)
        if names is not None:
            yield key, cell, names


def spectral_radii(model, read: Callable[[Any], np.ndarray] = np.asarray) -> dict[str, dict[str, float]]:
    """Layer key -> gate block -> spectral radius of that block of w_R."""
    return {key: {name: spectral_radius(block) for name, block in parts.items()}
            for key, parts in recurrent_blocks(model, read).items()}


def radii_with(model, variables: Sequence[Any], arrays: Sequence[Any]) -> dict[str, dict[str, float]]:
    """The spectral radii ``model`` would have with ``arrays`` (one per variable of ``variables``,
    in order) as its weights: a kept copy of the weights, measured without being restored. A w_R
    among no ``variables`` is unknown (NaN), not read from the model, whose weights may be NaN."""
    values = {id(variable): np.asarray(array) for variable, array in zip(variables, arrays)}

    def read(variable) -> np.ndarray:
        found = values.get(id(variable))
        return found if found is not None else np.full(tuple(variable.shape), np.nan)

    return spectral_radii(model, read)


def histogram(values: Iterable[np.ndarray], bins: int = BINS) -> dict[str, Any]:
    """Counts of all the values in ``bins`` equal bins over [-m, m], m = the largest |finite value|."""
    flat = np.concatenate([np.asarray(v, dtype=np.float64).reshape(-1) for v in values] or [np.zeros(0)])
    finite = flat[np.isfinite(flat)]
    m = float(np.max(np.abs(finite))) if finite.size else 0.0
    if m == 0.0:
        m = 1.0  # all zeros (or none): one centred spike rather than a degenerate range
    counts, _ = np.histogram(finite, bins=bins, range=(-m, m))
    result: dict[str, Any] = {"lo": -m, "hi": m, "counts": counts.astype(int).tolist()}
    if finite.size != flat.size:
        result["nonfinite"] = int(flat.size - finite.size)
    return result


def layer_histograms(names: Sequence[tuple[str, str]], arrays: Sequence[Any]) -> dict[str, dict[str, Any]]:
    """One histogram per layer key, over all of that layer's arrays (names: (layer key, weight) per array)."""
    grouped: dict[str, list[np.ndarray]] = {}
    for (layer, _), array in zip(names, arrays):
        if array is None:
            continue
        grouped.setdefault(layer, []).append(np.asarray(array))
    return {layer: histogram(parts) for layer, parts in grouped.items()}


def epoch_health(model, names: Sequence[tuple[str, str]], gradients: Sequence[Any] | None,
                 read: Callable[[Any], np.ndarray] = np.asarray, *, radii: bool = True) -> dict[str, Any]:
    """What EpochEnd.health carries: spectral radii (unless ``radii`` is False: the history then
    has a gap at that epoch) and histograms of weights (and gradients, if given).

    ``names`` is (layer key, weight name) per trainable variable, in ``model.trainable_variables`` order.
    """
    weights = [read(v) for v in model.trainable_variables]
    health: dict[str, Any] = {
        "spectral_radius": spectral_radii(model, read) if radii else {},
        "weight_histograms": layer_histograms(names, weights),
        "gradient_histograms": {},
    }
    if gradients is not None:
        health["gradient_histograms"] = layer_histograms(names, [_dense(g) for g in gradients])
    return health


def _dense(gradient) -> np.ndarray | None:
    if gradient is None:
        return None
    if hasattr(gradient, "indices"):  # IndexedSlices (an embedding's gradient): its rows are the values
        return np.asarray(gradient.values)
    return np.asarray(gradient)


def check_histogram(value: Any, where: str) -> dict[str, Any]:
    """A histogram read back from a file, or a ValueError naming ``where``."""
    ok = (isinstance(value, dict) and all(isinstance(value.get(k), (int, float)) and not isinstance(value.get(k), bool)
                                          for k in ("lo", "hi"))
          and isinstance(value.get("counts"), list)
          and all(isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in value["counts"]))
    if not ok:
        raise ValueError(f"{where}: expected {{\"lo\", \"hi\", \"counts\"}}, received {value!r:.80}")
    return {k: value[k] for k in ("lo", "hi", "counts", "nonfinite") if k in value}


def curve_name(layer: str, block: str) -> str:
    """"rnn_1" for a SimpleRNN's single w_R, "rnn_1 forget" for a gate block."""
    return layer if block == "w_R" else f"{layer} {block}"


NOT_MEASURED_AT_DIVERGENCE = "w_R not measured: too wide for the radii's time budget at that point"


def radius_lines(spectral: dict[str, dict[str, list[float]]], divergence: dict | None = None) -> list[str]:
    """The per-epoch spectral radius as text lines for `main.py inspect` (empty without data), and
    for a run that diverged (``History.divergence`` as a dict) the radii just before it did: the
    epoch's own value shows the older weights the run went back to."""
    lines = _per_epoch_radius_lines(spectral)
    if divergence:
        from core.history import Divergence

        event = Divergence.from_dict(divergence)
        lines += [] if lines else [""]
        lines.append(f"  just before diverging (epoch {event.epoch}, batch {event.batch}: {event.words}):")
        if not event.radius_measured:
            lines.append(f"    {NOT_MEASURED_AT_DIVERGENCE}")
        for layer, blocks in event.spectral_radius.items():
            for block, value in blocks.items():
                label = curve_name(layer, block)
                shown = f"{value:.3g}" if np.isfinite(value) else "- (no finite weights were kept)"
                lines.append(f"    {label:<22} {shown}")
    return lines


def _per_epoch_radius_lines(spectral: dict[str, dict[str, list[float]]]) -> list[str]:
    if not any(spectral.values()):
        return []
    lines = ["", "Spectral radius of w_R per epoch (largest |eigenvalue|; the lecture's rule for a linear "
             "recurrence: below 1 a signal fades over the steps, above 1 it can explode)"]
    for layer, blocks in spectral.items():
        for block, values in blocks.items():
            label = curve_name(layer, block)
            shown = ", ".join("-" if v is None or not np.isfinite(v) else f"{v:.3g}" for v in values[-12:])
            more = "... " if len(values) > 12 else ""
            last = values[-1] if values else None
            side = ""
            if last is not None and np.isfinite(last):
                side = "  (above 1)" if last > 1 else "  (below 1)"
            lines.append(f"  {label:<24} {more}{shown}{side}")
    return lines
