"""How good is the model, in the data's own units, and is it better than the obvious guess?

``evaluate(info, x, y, predicted, y_train=...)`` scores predictions already made (the window
makes them in slices between redraws, the command line in one go with ``evaluate_model``) and
scores naive baselines on exactly the same samples:

- regression: RMSE, MAE, MAPE (left out, with a note, when an actual value is at or near zero)
  and R², per target and overall, after undoing the normalisation. Baselines: persistence (the
  target's last value in the input window), seasonal naive (its value one season earlier, the
  season given or found in the training part's autocorrelation) and the training mean.
- classification: accuracy, per-class precision / recall / F1 and the confusion matrix.
  Baselines: the training majority class and "same as the previous step" where the task has it.

The skill is ``1 - model error / best baseline error`` (RMSE, or the error rate 1 - accuracy):
1 is perfect, 0 no better than the best naive guess, below 0 worse than it.

A series model (its targets are input features, ``DataInfo.feedback_features``) that predicts at
every step (many-to-many) is scored at each window's last step: the one-step-ahead forecast
made after reading the whole window, one per window, so the points line up along time.

numpy only, no TensorFlow: ``evaluate_model`` imports core.inference to predict.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.datasets.base import CLASSIFICATION, REGRESSION, DataInfo, SequenceData
from core.errors import DatasetError

# MAPE is left out when an actual value lies within this share of the mean absolute actual
# (a percentage error there is ten times or more what it is elsewhere) or changes sign.
NEAR_ZERO = 0.1
# A season is an autocorrelation peak at least this high, standing out this much from its
# surroundings, at a lag of at most MAX_SEASON rows (longer ones reach far before any window).
SEASON_MIN_ACF, SEASON_PROMINENCE, MAX_SEASON = 0.3, 0.1, 20_000
SERIES_MODES = ("many_to_one", "many_to_many")
BASELINE_TITLES = {
    "persistence": "Persistence (last known value)",
    "seasonal_naive": "Seasonal naive (one season ago)",
    "mean": "Training mean",
    "majority": "Majority class",
    "previous_step": "Same as the previous step",
}
SPLIT_TITLES = {"val": "validation", "test": "test", "train": "training"}


@dataclass
class Evaluation:
    """Scores of a model and of the naive baselines on one split (see the module docstring).

    ``actual``, ``predicted`` and ``baseline_predictions`` are what was scored, in data units
    (regression, shape (points, targets)) or class ids (classification, shape (points,)).
    ``rows`` gives, for a series, the data row each point forecasts (None otherwise).
    """

    split: str
    n: int
    kind: str
    metrics: dict[str, Any]
    baselines: dict[str, dict[str, Any]]
    best_baseline: str | None
    skill: float | None
    skill_metric: str
    notes: list[str] = field(default_factory=list)
    season: int | None = None
    target_names: list[str] = field(default_factory=list)
    class_names: list[str] = field(default_factory=list)
    actual: np.ndarray | None = None
    predicted: np.ndarray | None = None
    baseline_predictions: dict[str, np.ndarray] = field(default_factory=dict)
    rows: np.ndarray | None = None

    def to_dict(self) -> dict[str, Any]:
        """What ``main.py evaluate --json`` prints: numbers and notes, no arrays."""
        return {"split": self.split, "n": self.n, "kind": self.kind, "metrics": self.metrics,
                "baselines": self.baselines, "best_baseline": self.best_baseline, "skill": self.skill,
                "skill_metric": self.skill_metric, "season": self.season, "notes": list(self.notes)}

    def error_of(self, scores: dict[str, Any]) -> float | None:
        """The error the skill compares: RMSE, or 1 - accuracy."""
        if self.kind == REGRESSION:
            return scores.get("rmse")
        accuracy = scores.get("accuracy")
        return None if accuracy is None else 1.0 - accuracy


# --- entry points ---------------------------------------------------------------------------


def evaluate_model(model: Any, data: SequenceData, split: str = "val", *, season: int | None = None) -> Evaluation:
    """Predict ``split`` of ``data`` with ``model`` (Keras) and evaluate it."""
    from core.inference import predict

    x, y = data.split(split)
    check_split(data, split)
    return evaluate(data.info, x, y, predict(model, data.info, x), y_train=data.y_train, split=split,
                    season=season, first_index=held_out_index(data, split))


def check_split(data: SequenceData, split: str) -> None:
    """A DatasetError naming the setting when ``split`` holds no sample."""
    x, _ = data.split(split)
    if len(x):
        return
    if split == "test":
        raise DatasetError("There is no test part: set dataset.test_split above 0 (e.g. 0.1) and train again, "
                           "so that the run never sees the test period.")
    raise DatasetError(f"The {SPLIT_TITLES.get(split, split)} part is empty: raise dataset.validation_split.")


def held_out_index(data: SequenceData, split: str) -> int:
    """Index of the split's first sample among the held-out samples (validation, gap, test)."""
    return data.test_offset if split == "test" else 0


def evaluate(info: DataInfo, x: np.ndarray, y: np.ndarray, predicted: np.ndarray, *, y_train: np.ndarray,
             split: str = "val", season: int | None = None, first_index: int = 0) -> Evaluation:
    """Score ``predicted`` (as ``core.inference.predict`` returns it: probabilities, or values in
    data units) against ``y`` (model space, like ``SequenceData``), and the baselines likewise."""
    if len(x) != len(y) or len(y) != len(predicted):
        raise DatasetError(f"Cannot evaluate: {len(x)} inputs, {len(y)} targets and {len(predicted)} predictions.")
    if len(y) == 0:
        raise DatasetError(f"The {SPLIT_TITLES.get(split, split)} part holds no sample to evaluate.")
    if season is not None and (isinstance(season, bool) or not isinstance(season, (int, np.integer)) or season < 1):
        raise DatasetError(f"The season must be a whole number of rows >= 1, received {season!r}.")
    if info.kind == CLASSIFICATION:
        return _evaluate_classes(info, x, y, predicted, y_train, split)
    return _evaluate_values(info, x, y, predicted, y_train, split, season, first_index)


# --- regression -----------------------------------------------------------------------------


def is_series(info: DataInfo) -> bool:
    """Whether samples are windows of a series whose targets are input features (persistence exists)."""
    return info.kind == REGRESSION and info.io_mode in SERIES_MODES and info.feedback_features() is not None


def _points(info: DataInfo, values: Any, *, model_space: bool = True) -> np.ndarray:
    """Targets or predictions in data units as (points, targets); a series' many-to-many values at
    each window's last step. ``model_space``: normalised as the arrays of SequenceData are."""
    k = info.output_dim
    if is_series(info) and info.io_mode == "many_to_many":
        values = _step(values, 0)
    values = np.asarray(values, dtype=np.float32)
    if model_space:
        values = info.denormalize_y(values)
    return np.asarray(values, dtype=np.float64).reshape(-1, k)


def _step(windows: Any, back: int) -> np.ndarray:
    """Every window's step ``back`` rows before its last one, without cutting whole windows out of
    lazily windowed data (``core.datasets.windows.Windows``)."""
    rows, starts = getattr(windows, "rows", None), getattr(windows, "starts", None)
    if rows is not None and starts is not None:
        return rows[starts + windows.length - 1 - back]
    return np.asarray(windows)[:, -1 - back]


def _evaluate_values(info, x, y, predicted, y_train, split, season, first_index) -> Evaluation:
    names = list(info.target_names) or [f"value {i + 1}" for i in range(info.output_dim)]
    actual = _points(info, y)
    model = _points(info, predicted, model_space=False)
    train = _points(info, y_train)
    notes: list[str] = []
    if is_series(info) and info.io_mode == "many_to_many":
        notes.append("Many-to-many series: each window is scored at its last step, the forecast made after "
                     "reading the whole window.")
    baselines: dict[str, np.ndarray] = {}
    if is_series(info):
        baselines["persistence"] = _window_value(info, x, lag_back=0)
        found = season if season is not None else find_season(info, train)
        if found is None:
            notes.append("Seasonal naive: no season found in the training part's autocorrelation "
                         "(give one with --season).")
        else:
            seasonal = _seasonal_values(info, x, found)
            if seasonal is None:
                notes.append(f"Seasonal naive: a season of {found} rows reaches before the input window of "
                             f"{info.input_shape[0]} rows; use a longer window to compare with it.")
            else:
                baselines["seasonal_naive"] = seasonal
        season = found
    else:
        notes.append("Persistence and seasonal naive need a series whose target is one of the inputs; "
                     "only the training mean is compared.")
    baselines["mean"] = np.broadcast_to(train.mean(axis=0), actual.shape).copy()

    mape_ok, why = _mape_allowed(actual, names)
    if why:
        notes.append(why)
    model_scores = regression_scores(actual, model, names, mape=mape_ok)
    baseline_scores = {name: regression_scores(actual, values, names, mape=mape_ok)
                       for name, values in baselines.items()}
    best, skill = _skill(model_scores["rmse"], {n: s["rmse"] for n, s in baseline_scores.items()})
    return Evaluation(
        split=split, n=len(y), kind=REGRESSION, metrics=model_scores, baselines=baseline_scores,
        best_baseline=best, skill=skill, skill_metric="rmse", notes=notes, season=season if is_series(info) else None,
        target_names=names, actual=actual, predicted=model, baseline_predictions=baselines,
        rows=sample_rows(info, x, first_index) if is_series(info) else None,
    )


def regression_scores(actual: np.ndarray, predicted: np.ndarray, names: list[str], *, mape: bool = True
                      ) -> dict[str, Any]:
    """RMSE, MAE, MAPE (None when not allowed) and R², overall and per target (columns)."""
    actual = np.asarray(actual, dtype=np.float64).reshape(len(actual), -1)
    predicted = np.asarray(predicted, dtype=np.float64).reshape(actual.shape)
    error = predicted - actual
    per_target = {}
    for k, name in enumerate(names):
        per_target[name] = _scores(actual[:, k], error[:, k], mape)
    overall = _scores(actual.reshape(-1), error.reshape(-1), mape)
    # R² of several targets: their average (each around its own mean), as scikit-learn does.
    overall["r2"] = _mean_or_none([s["r2"] for s in per_target.values()])
    return {**overall, "per_target": per_target}


def _scores(actual: np.ndarray, error: np.ndarray, mape: bool) -> dict[str, float | None]:
    spread = float(np.sum((actual - actual.mean()) ** 2))
    return {
        "rmse": float(np.sqrt(np.mean(error ** 2))),
        "mae": float(np.mean(np.abs(error))),
        "mape": float(np.mean(np.abs(error) / np.abs(actual)) * 100.0) if mape else None,
        "r2": 1.0 - float(np.sum(error ** 2)) / spread if spread > 0 else None,
    }


def _mape_allowed(actual: np.ndarray, names: list[str]) -> tuple[bool, str]:
    """MAPE only where every actual value keeps one sign and stays well away from zero."""
    magnitude = np.abs(actual)
    smallest = magnitude.min(axis=0)
    scale = magnitude.mean(axis=0)
    crosses = (actual.min(axis=0) < 0) & (actual.max(axis=0) > 0)
    near = [names[k] for k in range(actual.shape[1]) if crosses[k] or smallest[k] <= NEAR_ZERO * scale[k]]
    if not near:
        return True, ""
    return False, (f"MAPE left out: {', '.join(near)} comes at or near zero (smallest |value| "
                   f"{float(np.min(smallest)):.3g}), where a percentage error is meaningless.")


def _window_value(info: DataInfo, x: Any, lag_back: int) -> np.ndarray:
    """Each target's input feature ``lag_back`` rows before the window's last row, in data units."""
    return info.denormalize_x(_step(x, lag_back))[:, info.feedback_features()]


def _seasonal_values(info: DataInfo, x: np.ndarray, season: int) -> np.ndarray | None:
    """The value one season (or whole seasons) before each forecast row, if inside the window."""
    horizon = horizon_of(info)
    lag = season * max(1, math.ceil(horizon / season))  # the latest season ago that is already known
    back = lag - horizon  # rows before the window's last row
    if back >= info.input_shape[0]:
        return None
    return _window_value(info, x, back)


def find_season(info: DataInfo, train: np.ndarray) -> int | None:
    """The season in rows, found in the training targets alone: the first clear peak of their
    autocorrelation, or of that of their step-to-step changes (None: neither has a peak).

    The changes matter where a slow swing (a year) keeps the autocorrelation of the values high
    for months and hides a short cycle (a week) that their changes show plainly; the values
    matter where a fast ripple dominates the changes but not the shape. Of the two, a season the
    input window reaches back to comes first (the baseline can use it), then the one that makes
    the better seasonal guess on the training part itself. Consecutive training samples lie
    ``stride`` rows apart: lag L is L * stride rows.
    """
    values = np.asarray(train, dtype=np.float64)
    if len(values) < 8:
        return None
    stride = max(1, int(info.extra.get("stride", 1) or 1))
    peaks = {lag for lag in (_first_peak(_autocorrelation(values)),
                             _first_peak(_autocorrelation(np.diff(values, axis=0)))) if lag is not None}
    if not peaks:
        return None
    reach = int(info.input_shape[0]) - 1 + horizon_of(info) if info.input_shape else 0

    def rank(lag: int) -> tuple[bool, float, int]:
        return lag * stride > reach, float(np.mean((values[lag:] - values[:-lag]) ** 2)), lag

    return min(peaks, key=rank) * stride


def _autocorrelation(values: np.ndarray) -> np.ndarray:
    """Autocorrelation at lags 0 .. min(n/2, MAX_SEASON); each lag averages over the n - L pairs
    it has, so long lags are not tilted down."""
    n = len(values)
    centred = values - values.mean(axis=0)
    spectrum = np.fft.rfft(centred, n=2 * n, axis=0)
    sums = np.fft.irfft(spectrum * np.conj(spectrum), axis=0)[:n].sum(axis=1)
    lags = min(n // 2, MAX_SEASON + 2)
    if sums[0] <= 0:
        return np.zeros(lags)
    return sums[:lags] / (n - np.arange(lags)) / (sums[0] / n)


def _first_peak(acf: np.ndarray) -> int | None:
    """The first lag >= 2 where ``acf`` peaks at SEASON_MIN_ACF or more and stands out by
    SEASON_PROMINENCE from the lowest value on either side (up to a higher value or the end), so
    a wiggle on a slope is no peak."""
    n = len(acf)
    if n < 4:
        return None
    candidates = np.flatnonzero((acf[1:-1] >= acf[:-2]) & (acf[1:-1] > acf[2:])) + 1
    for lag in candidates[(candidates >= 2) & (acf[candidates] >= SEASON_MIN_ACF)]:
        higher_before = np.flatnonzero(acf[:lag] > acf[lag])
        higher_after = np.flatnonzero(acf[lag + 1:] > acf[lag])
        start = higher_before[-1] if len(higher_before) else 0
        stop = lag + 1 + higher_after[0] if len(higher_after) else n
        left = acf[lag] - acf[start:lag].min()
        right = acf[lag] - acf[lag + 1:stop].min() if stop > lag + 1 else 0.0
        if min(left, right) >= SEASON_PROMINENCE:
            return int(lag)
    return None


def horizon_of(info: DataInfo) -> int:
    """Rows between a window's last row and the row it predicts (1 where the task does not say)."""
    horizon = info.extra.get("horizon", 1)
    return 1 if horizon is None else int(horizon)


def sample_rows(info: DataInfo, x: Any, first_index: int = 0) -> np.ndarray:
    """The data row each held-out series sample forecasts (counting data rows from 0): read from
    the windows' own starts when the task keeps them, else from the regular layout."""
    starts = getattr(x, "starts", None)
    if starts is not None:
        return np.asarray(starts, dtype=np.int64) + int(info.input_shape[0]) - 1 + horizon_of(info)
    return target_rows(info, first_index, len(x))


def target_rows(info: DataInfo, first_index: int, count: int) -> np.ndarray:
    """The data row each of ``count`` held-out series samples forecasts, counting rows from 0.

    Held-out windows start right after the training rows (``extra["train_rows"]``), one every
    ``stride`` rows; a window's forecast lies ``horizon`` rows after its last row.
    """
    start = int(info.extra.get("train_rows", 0) or 0)
    stride = max(1, int(info.extra.get("stride", 1) or 1))
    horizon = horizon_of(info)
    window = int(info.input_shape[0])
    return start + (first_index + np.arange(count)) * stride + window - 1 + horizon


# --- classification -------------------------------------------------------------------------


def _evaluate_classes(info, x, y, predicted, y_train, split) -> Evaluation:
    names = list(info.class_names)
    actual = np.asarray(y).astype(np.int64).reshape(-1)
    probs = np.asarray(predicted)
    model = np.argmax(probs, axis=-1).reshape(-1) if probs.ndim > np.asarray(y).ndim else probs.astype(np.int64).reshape(-1)
    notes: list[str] = []
    train = np.asarray(y_train).astype(np.int64).reshape(-1)
    majority = int(np.argmax(np.bincount(train, minlength=len(names))))
    baselines = {"majority": np.full_like(actual, majority)}
    previous, note = _previous_step(info, x, y, majority)
    if previous is not None:
        baselines["previous_step"] = previous.reshape(-1)
    if note:
        notes.append(note)
    model_scores = classification_scores(actual, model, names)
    baseline_scores = {name: classification_scores(actual, values, names, confusion=False)
                       for name, values in baselines.items()}
    best, skill = _skill(1.0 - model_scores["accuracy"],
                         {n: 1.0 - s["accuracy"] for n, s in baseline_scores.items()})
    return Evaluation(split=split, n=len(y), kind=CLASSIFICATION, metrics=model_scores, baselines=baseline_scores,
                      best_baseline=best, skill=skill, skill_metric="error rate", notes=notes, class_names=names,
                      actual=actual, predicted=model, baseline_predictions=baselines)


def _previous_step(info: DataInfo, x: np.ndarray, y: np.ndarray, majority: int) -> tuple[np.ndarray | None, str]:
    """"Same as the previous step": the last input token (text), or the label one step before."""
    names = info.class_names
    if info.input_kind == "tokens" and info.io_mode in SERIES_MODES and set(names) <= set(info.vocabulary):
        # The next token is guessed to repeat the one just read.
        token_to_class = np.array([names.index(t) if t in names else -1 for t in info.vocabulary], dtype=np.int64)
        if info.io_mode == "many_to_one":
            return token_to_class[np.asarray(_step(x, 0)).astype(np.int64)], ""
        return token_to_class[np.asarray(x).astype(np.int64)], ""
    starts = getattr(x, "starts", None)
    if info.io_mode == "many_to_one" and starts is not None and np.any(np.diff(starts) == 1):
        # Windows one row apart (a labelled series): the label of the row before.
        labels = np.asarray(y).astype(np.int64).reshape(-1)
        previous = np.full_like(labels, majority)
        follows = np.diff(starts) == 1
        previous[1:][follows] = labels[:-1][follows]
        return previous, ("Same as the previous step: each window's label guessed as the one of the window a row "
                          "earlier (the majority class where there is none).")
    if info.io_mode in ("many_to_many", "encoder_decoder") and np.asarray(y).ndim == 2:
        labels = np.asarray(y).astype(np.int64)
        shifted = np.concatenate([np.full((len(labels), 1), majority), labels[:, :-1]], axis=1)
        return shifted, ("Same as the previous step: each step's label guessed as the one before it (the first "
                         "step of a sequence, which has none, as the majority class).")
    return None, "Same as the previous step: not available, the samples are not steps of one sequence."


def classification_scores(actual: np.ndarray, predicted: np.ndarray, names: list[str], *,
                          confusion: bool = True) -> dict[str, Any]:
    """Accuracy, macro F1 and per-class precision / recall / F1 / support; with ``confusion``
    the matrix too (rows: actual class, columns: predicted class)."""
    k = len(names)
    actual = np.asarray(actual, dtype=np.int64).reshape(-1)
    predicted = np.asarray(predicted, dtype=np.int64).reshape(-1)
    valid = (predicted >= 0) & (predicted < k)
    matrix = np.bincount(actual[valid] * k + predicted[valid], minlength=k * k).reshape(k, k)
    support = np.bincount(actual, minlength=k)[:k]
    called = matrix.sum(axis=0)
    right = np.diag(matrix)
    per_class = {}
    for i, name in enumerate(names):
        precision = right[i] / called[i] if called[i] else None
        recall = right[i] / support[i] if support[i] else None
        f1 = (2 * precision * recall / (precision + recall)
              if precision is not None and recall is not None and precision + recall > 0 else
              (0.0 if precision is not None or recall is not None else None))
        per_class[name] = {"precision": _float(precision), "recall": _float(recall), "f1": _float(f1),
                           "support": int(support[i])}
    scores: dict[str, Any] = {
        "accuracy": float(np.mean(actual == predicted)),
        "macro_f1": _mean_or_none([c["f1"] for c in per_class.values() if c["support"]]),
        "per_class": per_class,
    }
    if confusion:
        scores["confusion"] = matrix.tolist()
    return scores


# --- the table the window and the command line show ------------------------------------------


@dataclass(frozen=True)
class TableRow:
    key: str  # "model" or a baseline's key
    title: str
    values: dict[str, float | None]  # column key -> value
    best: bool = False  # the best baseline


def table_columns(evaluation: Evaluation) -> list[tuple[str, str]]:
    """(key, heading) of the table's metric columns."""
    if evaluation.kind == CLASSIFICATION:
        return [("accuracy", "Accuracy"), ("macro_f1", "Macro F1")]
    return [("rmse", "RMSE"), ("mae", "MAE"), ("mape", "MAPE %"), ("r2", "R²")]


def table_rows(evaluation: Evaluation, target: str | None = None) -> list[TableRow]:
    """The model, then each baseline, with the columns of ``table_columns`` (overall, or for
    one target of a multi-target regression)."""
    keys = [key for key, _ in table_columns(evaluation)]

    def values(scores: dict[str, Any]) -> dict[str, float | None]:
        if target is not None:
            scores = scores.get("per_target", {}).get(target, scores)
        return {key: scores.get(key) for key in keys}

    rows = [TableRow("model", "Model", values(evaluation.metrics))]
    for name, scores in evaluation.baselines.items():
        title = BASELINE_TITLES.get(name, name)
        if name == "seasonal_naive" and evaluation.season:
            title = f"Seasonal naive (season {evaluation.season} rows)"
        rows.append(TableRow(name, title, values(scores), best=name == evaluation.best_baseline))
    return rows


def skill_sentence(evaluation: Evaluation) -> str:
    """The verdict in words: how much of the best baseline's error the model removes."""
    if evaluation.best_baseline is None:
        return "No baseline could be scored on these samples."
    best = BASELINE_TITLES.get(evaluation.best_baseline, evaluation.best_baseline).lower()
    if evaluation.skill is None:
        return f"The best baseline, {best}, is exact on these samples: there is nothing left to beat."
    what = "RMSE" if evaluation.kind == REGRESSION else "error rate"
    percent = abs(evaluation.skill) * 100
    if evaluation.skill > 0:
        verdict = f"the model removes {percent:.0f} % of its {what}"
    elif evaluation.skill < 0:
        verdict = f"the model's {what} is {percent:.0f} % higher: it does worse than this naive guess"
    else:
        verdict = "the model does exactly as well as this naive guess"
    return f"Skill {evaluation.skill:.3f} against the best baseline, {best}: {verdict}."


# --- helpers --------------------------------------------------------------------------------


def _skill(model_error: float, baseline_errors: dict[str, float | None]) -> tuple[str | None, float | None]:
    """The best (lowest-error) baseline and the model's skill against it."""
    known = {name: e for name, e in baseline_errors.items() if e is not None and math.isfinite(e)}
    if not known:
        return None, None
    best = min(known, key=known.get)
    if known[best] <= 0 or not math.isfinite(model_error):
        return best, None
    return best, 1.0 - model_error / known[best]


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _mean_or_none(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return float(np.mean(known)) if known else None
