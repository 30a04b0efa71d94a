"""A series from the user's CSV file: pick feature and target columns, window, horizon, stride.

The rows are taken as consecutive time steps. They are split in time order BEFORE windowing (the
last rows for validation, with every validation window wholly inside them), and the mean and
spread used for normalisation come from the training rows only, so nothing of the validation
period leaks into training. With a ``sequence_column`` the file holds several recordings: rows
are grouped by id, a window never spans two recordings, and whole recordings go to training or
validation. Missing cells are refused, filled within each part, or their rows dropped
(``core.datasets.missing``). The windows are cut on demand (``core.datasets.windows``), so a file
of a million rows costs its rows in memory, not its windows. Every problem with the file is
reported with its row (the line number a text editor or spreadsheet shows) and column.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.datasets import missing as gaps
from core.datasets.arrays import fit_normalization, normalize, parse_number_rows, row_split
from core.datasets.base import (
    CLASSIFICATION,
    REGRESSION,
    DataInfo,
    ParamSpec,
    SequenceData,
    WindowedTask,
    register_task,
)
from core.datasets.csv_columns import TARGET_TYPES, Selection, select_columns
from core.datasets.csv_reader import (
    DECIMALS,
    DELIMITERS,
    Table,
    column_labels,
    column_values,
    read_table,
    sniff_header,
)
from core.datasets.text import RESOURCES, resolve_path
from core.datasets.windows import Windows, segment_starts
from core.errors import DatasetError
from core.files import ENCODINGS

DATA = RESOURCES / "data"


@register_task
class CsvTask(WindowedTask):
    name = "csv"
    title = "CSV time series"
    description = (
        "Your own series from a CSV file (one row per time step, a header row with column names). "
        "Choose the input columns, the column to predict (numbers to forecast, or labels such as "
        "walking / running to recognise), how many rows the net reads (window) and how far ahead it "
        "predicts (horizon). The last rows (or, with a sequence column, the last recordings) are kept "
        "for validation and the data are scaled with the mean and spread of the training rows only, "
        "so the score shows how well the model does on data it has never seen."
    )
    lecture_note = (
        "Numerical time series from sensors or markets, the lecture's main application: a sequence of "
        "vectors in, one forecast out (many-to-one), or a forecast after every step (many-to-many)."
    )
    kind = REGRESSION
    params = (
        ParamSpec("path", "path", "builtin:daily_weather", "CSV file",
                  "A .csv file with a header row; builtin:daily_weather is two years of daily weather "
                  "shipped with RNN Lab."),
        ParamSpec("feature_columns", "columns", [], "Input columns",
                  "Columns the net reads, by name (or number, counting from 1). Empty: every numeric "
                  "column except a date/time first column, the sequence column and a label target."),
        ParamSpec("target_column", "str", "", "Column to predict",
                  "The column to forecast or recognise. Empty: the first numeric column."),
        ParamSpec("target_type", "choice", "auto", "Target is",
                  "values: numbers to forecast (regression); classes: labels to recognise (classification), "
                  "e.g. walking / running or integer class codes; auto: classes for a text column, values for "
                  "a numeric one.", choices=TARGET_TYPES),
        ParamSpec("sequence_column", "str", "", "Sequence id column",
                  "Optional: a column naming the recording (or subject) of each row. Windows never span two "
                  "recordings, and whole recordings go to training or validation, never both."),
        ParamSpec("window", "int", 14, "Window (rows)", "How many past rows the net reads.",
                  minimum=1, maximum=10000),
        ParamSpec("horizon", "int", 1, "Horizon (rows ahead)",
                  "Predict the target this many rows after the window's last row; 0: at the last row itself "
                  "(recognising what is happening now, e.g. an activity label).", minimum=0, maximum=10000),
        ParamSpec("stride", "int", 1, "Stride", "Rows between the starts of two windows.",
                  minimum=1, maximum=10000),
        ParamSpec("use_target_history", "bool", True, "Use the target's history",
                  "Feed the target column's own past values as an input (a column is never hidden from "
                  "its own forecast by default)."),
        ParamSpec("missing", "choice", "refuse", "Missing cells",
                  "refuse: say where the empty or NA cells are; interpolate: linear in time between the "
                  "neighbouring values; ffill: repeat the last value; drop_rows: leave out rows with a missing "
                  "cell (only when the rows are not evenly spaced in time). Filling never reaches from one "
                  "part (training, validation, a recording) into another.", choices=gaps.POLICIES),
        ParamSpec("evenly_spaced", "bool", True, "Rows evenly spaced in time",
                  "On: each row is one fixed step after the last (every day, every 10 ms), so rows cannot be "
                  "dropped. Off: the rows carry irregular time stamps, and drop_rows may remove some."),
        ParamSpec("delimiter", "choice", "auto", "Delimiter",
                  "The character between cells; auto detects comma, semicolon, tab or |.",
                  choices=tuple(DELIMITERS)),
        ParamSpec("decimal", "choice", "auto", "Decimal mark",
                  "auto: a comma when the cells are written 1,5 (as spreadsheets in many languages save them).",
                  choices=tuple(DECIMALS)),
        ParamSpec("encoding", "choice", "auto", "Encoding",
                  "How the file's characters are stored; auto reads UTF-8, else Windows-1252 or Latin-1.",
                  choices=tuple(ENCODINGS)),
    )

    def load(self, params) -> tuple[Table, Path]:
        path = resolve_path(params["path"], "dataset.params.path", DATA, ".csv", "CSV file")
        return read_table(path, params.get("delimiter", "auto"), params.get("decimal", "auto"),
                          params.get("encoding", "auto")), path

    def build(self, params, io_mode, validation_split, seed) -> SequenceData:
        return self._build(params, io_mode, validation_split, 0.0)

    def build_with_test(self, params, io_mode, validation_split, test_split, seed) -> SequenceData | None:
        # Recordings go to one part whole; a plain series is cut by build_dataset, after validation.
        return self._build(params, io_mode, validation_split, test_split) if params["sequence_column"].strip() else None

    def _build(self, params, io_mode: str, validation_split: float, test_split: float) -> SequenceData:
        table, path = self.load(params)
        chosen = select_columns(table, params)
        series = _Series.read(table, chosen)
        outcome = series.handle_missing(params["missing"], params["evenly_spaced"])
        window, horizon, stride = params["window"], params["horizon"], params["stride"]
        parts = series.split(window, horizon, validation_split, test_split)
        outcome = series.fill(outcome, parts)
        train_rows = np.concatenate([np.arange(b, e) for b, e, _ in parts.train])
        norm = fit_normalization(series.features[train_rows],
                                 None if chosen.classes else series.target[train_rows, None])
        x_rows = normalize(series.features, norm["x_mean"], norm["x_std"])
        need = window + horizon
        starts = {name: segment_starts([(b, e) for b, e, _ in segments], need=need, stride=stride)
                  for name, segments in (("train", parts.train), ("val", parts.val), ("test", parts.test))}
        parts.check_windows(starts, need, table.name)
        if chosen.classes:
            class_names, y_rows = _class_ids(series.labels)
        else:
            class_names, y_rows = [], normalize(series.target[:, None], norm["y_mean"], norm["y_std"])
        x = {name: Windows(x_rows, s, window) for name, s in starts.items()}
        if io_mode == "many_to_many":
            y = {name: Windows(y_rows, s + horizon, window) for name, s in starts.items()}
        else:
            y = {name: y_rows[s + window - 1 + horizon] for name, s in starts.items()}
        notes = [f"Read as {table.describe_format()}."]
        notes += [line for line in (outcome.describe(), parts.describe()) if line]
        counts = {}
        if chosen.classes:
            counts = {n: int(c) for n, c in zip(class_names, np.bincount(np.asarray(y["train"]).reshape(-1),
                                                                         minlength=len(class_names)))}
            notes.append(_balance(counts))
        info = DataInfo(
            task=self.name, io_mode=io_mode, kind=CLASSIFICATION if chosen.classes else REGRESSION,
            input_kind="real", input_shape=(window, len(chosen.features)),
            output_shape=((window,) if chosen.classes else (window, 1)) if io_mode == "many_to_many"
            else (() if chosen.classes else (1,)),
            class_names=class_names, feature_names=list(chosen.features),
            target_names=[] if chosen.classes else [chosen.target], normalization=norm,
            description=self.description,
            extra={"path": str(path), "file": table.name, "delimiter": table.delimiter, "decimal": table.decimal,
                   "encoding": table.encoding, "rows": series.num_rows, "train_rows": parts.train_rows,
                   "window": window, "horizon": horizon,
                   "stride": stride, "columns": list(table.columns), "label_column": chosen.target
                   if chosen.classes else "", "sequence_column": chosen.sequence, "class_counts": counts,
                   "missing": {"method": outcome.method, "filled": outcome.filled,
                               "dropped_rows": outcome.dropped_rows},
                   "notes": notes, "input_example": _example(series.features, parts.train[0][0], window)},
        )
        # The first column, when it is no input, target or id, is the file's own time axis (plots);
        # with recordings the rows are regrouped and there is no single time axis.
        first = table.columns[0]
        time_column = first if first not in [*chosen.features, chosen.target] and not chosen.sequence else ""
        time_values = None
        if time_column:
            labels = column_labels(table, first)
            time_values = np.where(labels == None, "", labels)[series.rows]  # noqa: E711 - elementwise
        return SequenceData(x["train"], y["train"], x["val"], y["val"], info, x_test=x["test"], y_test=y["test"],
                            test_offset=len(starts["val"]), time_column=time_column, time_values=time_values)

    def decode_input(self, info: DataInfo, x: np.ndarray) -> str:
        rows = info.denormalize_x(np.asarray(x).reshape(-1, len(info.feature_names)))
        last = ", ".join(f"{name} {_num(v)}" for name, v in zip(info.feature_names, rows[-1]))
        return f"{len(rows)} rows; last row: {last}"

    def decode_output(self, info: DataInfo, y: np.ndarray) -> str:
        if info.kind == CLASSIFICATION:
            return super().decode_output(info, y)
        values = np.asarray(info.denormalize_y(y), dtype=float).reshape(-1)
        target = info.target_names[0] if info.target_names else "target"
        horizon = info.extra.get("horizon", 1)
        ahead = f"{horizon} row{'s' if horizon != 1 else ''} ahead" if horizon else "at the same row"
        if values.size > 1:
            shown = ", ".join(_num(v) for v in values[-6:])
            return f"{target} {ahead} of each row: {'... ' if values.size > 6 else ''}{shown}"
        return f"{target} {ahead}: {_num(values[0])}"

    def encode_input(self, info: DataInfo, text: str) -> np.ndarray:
        rows = parse_number_rows(text, info.feature_names, info, row_word="row")
        norm = info.normalization or {}
        return normalize(rows, norm.get("x_mean", 0.0), norm.get("x_std", 1.0))


class _Parts:
    """The row ranges of the training and validation parts: (begin, end, what) each."""

    def __init__(self, train, val, test=(), *, grouped: bool = False) -> None:
        self.train: list[tuple[int, int, str]] = train
        self.val: list[tuple[int, int, str]] = val
        self.test: list[tuple[int, int, str]] = list(test)
        self.grouped = grouped  # the segments are recordings

    @property
    def train_rows(self) -> int:
        return sum(e - b for b, e, _ in self.train)

    def segments(self) -> list[tuple[int, int, str]]:
        return self.train + self.val + self.test

    def describe(self) -> str:
        if not self.grouped:
            return ""
        test = f", {len(self.test)} for the test" if self.test else ""
        return (f"Recordings: {len(self.segments())}, {len(self.train)} for training, {len(self.val)} for "
                f"validation{test} (whole recordings; no window spans two).")

    def check_windows(self, starts: dict[str, np.ndarray], need: int, name: str) -> None:
        if not self.grouped:
            return  # row_split has checked both parts
        for part, key, segments in (("training", "train", self.train), ("validation", "val", self.val),
                                    ("test", "test", self.test)):
            if segments and not len(starts[key]):
                longest = max(e - b for b, e, _ in segments)
                raise DatasetError(
                    f"{name}: no recording in the {part} part is as long as window + horizon = {need} rows (the "
                    f"longest has {longest}). Lower the window or the horizon."
                )


class _Series:
    """The used columns of a table as arrays, one row per kept data row (``rows``: its file row index)."""

    def __init__(self, table: Table, chosen: Selection, features, target, labels, ids) -> None:
        self.table, self.chosen = table, chosen
        self.features, self.target, self.labels, self.ids = features, target, labels, ids
        self.rows = np.arange(len(features))

    @classmethod
    def read(cls, table: Table, chosen: Selection) -> _Series:
        features = np.stack([column_values(table, c) for c in chosen.features], axis=1)
        target = labels = ids = None
        if chosen.classes:
            labels = column_labels(table, chosen.target)
        else:
            target = column_values(table, chosen.target)
        if chosen.sequence:
            ids = column_labels(table, chosen.sequence)
        return cls(table, chosen, features, target, labels, ids)

    @property
    def num_rows(self) -> int:
        return len(self.rows)

    def _columns(self) -> dict[str, np.ndarray]:
        columns = {name: self.features[:, i] for i, name in enumerate(self.chosen.features)}
        columns[self.chosen.target] = self.labels if self.chosen.classes else self.target
        if self.ids is not None:
            columns[self.chosen.sequence] = self.ids
        return columns

    def _take(self, index: np.ndarray) -> None:
        self.rows = self.rows[index]
        self.features = self.features[index]
        for name in ("target", "labels", "ids"):
            values = getattr(self, name)
            if values is not None:
                setattr(self, name, values[index])

    def handle_missing(self, policy: str, evenly_spaced: bool) -> gaps.Outcome:
        """Refuse, or drop rows now; filling waits for the parts (it never crosses them)."""
        found = gaps.gaps_of(self._columns())
        if not found.count:
            return gaps.Outcome(policy)
        if policy == "refuse":
            raise gaps.refusal(found, self.table)
        lines = self.table.records([row for row, _ in found.first()])
        first = [(lines.get(row, (row + 1, []))[0], column) for row, column in found.first()]
        if policy == "drop_rows":
            gaps.check_drop_allowed(evenly_spaced)
            keep = ~found.mask.any(axis=1)
            if not keep.any():
                raise DatasetError(f"{self.table.name}: every row has a missing cell in the columns used; "
                                   f"dropping them leaves nothing.")
            self._take(np.flatnonzero(keep))
            return gaps.Outcome(policy, dropped_rows=int((~keep).sum()), first=first)
        if self.ids is not None and found.mask[:, found.columns.index(self.chosen.sequence)].any():
            row = int(np.flatnonzero(found.mask[:, found.columns.index(self.chosen.sequence)])[0])
            raise DatasetError(f"{self.table.where(row, self.chosen.sequence)} is empty: every row needs the id of "
                               f"its recording (or set dataset.params.missing to drop_rows).")
        return gaps.Outcome(policy, filled=found.count, first=first)

    def split(self, window: int, horizon: int, validation_split: float, test_split: float) -> _Parts:
        if self.ids is None:
            n = self.num_rows
            n_train = row_split(n, window=window, horizon=horizon, validation_split=validation_split,
                                source=self.table.name, unit="data rows")
            val = [(n_train, n, "the validation part")] if n_train < n else []
            return _Parts([(0, n_train, "the training part")], val)
        return self._split_recordings(validation_split, test_split)

    def _split_recordings(self, validation_split: float, test_split: float) -> _Parts:
        """Rows regrouped by recording (in order of first appearance); the last recordings go to the
        test part, those before them to validation, each part taking whole recordings until it holds
        its share of the rows."""
        import pandas as pd

        codes, names = pd.factorize(pd.Series(self.ids), sort=False)
        self._take(np.argsort(codes, kind="stable"))
        sizes = np.bincount(codes, minlength=len(names))
        ends = np.cumsum(sizes)
        bounds = [(int(e - s), int(e), f"recording {names[i]!r}") for i, (s, e) in enumerate(zip(sizes, ends))]
        column = self.chosen.sequence
        wanted = 1 + (validation_split > 0) + (test_split > 0)
        if len(bounds) < wanted:
            parts = " and ".join(p for p, on in (("training", True), ("validation", validation_split > 0),
                                                  ("test", test_split > 0)) if on)
            raise DatasetError(f"{self.table.name}: the sequence column {column!r} holds {len(bounds)} recording"
                               f"{'s' if len(bounds) != 1 else ''} ({', '.join(repr(n) for n in names[:3])}); "
                               f"whole recordings for {parts} need at least {wanted}. Add recordings, or lower the "
                               f"number of parts (a split of 0).")
        rest = list(bounds)
        test = _take_last(rest, test_split * self.num_rows, keep=1 + (validation_split > 0))
        val = _take_last(rest, validation_split * self.num_rows, keep=1)
        return _Parts(rest, val, test, grouped=True)

    def fill(self, outcome: gaps.Outcome, parts: _Parts) -> gaps.Outcome:
        if outcome.method not in ("interpolate", "ffill") or not outcome.filled:
            return outcome
        segments = parts.segments()
        for i, name in enumerate(self.chosen.features):
            self.features[:, i] = gaps.fill(self.features[:, i], segments, outcome.method, name, self.table, self.rows)
        if self.chosen.classes:
            self.labels = gaps.fill(self.labels, segments, outcome.method, self.chosen.target, self.table, self.rows)
        else:
            self.target = gaps.fill(self.target, segments, outcome.method, self.chosen.target, self.table, self.rows)
        return outcome


def _take_last(rest: list, rows: float, *, keep: int) -> list:
    """Whole recordings from the end of ``rest`` (at least one) while each brings the rows they
    hold closer to ``rows``; ``keep`` recordings are always left."""
    taken: list = []
    held = 0
    while rows > 0 and len(rest) > keep:
        size = rest[-1][1] - rest[-1][0]
        if taken and abs(held + size - rows) >= abs(held - rows):
            break
        taken.insert(0, rest.pop())
        held += size
    return taken


def _class_ids(labels: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Class names (numerically sorted when all are numbers) and each row's class id."""
    names = sorted(set(labels.tolist()))
    try:
        names = sorted(names, key=float)
    except ValueError:
        pass
    index = {name: i for i, name in enumerate(names)}
    import pandas as pd

    ids = pd.Series(labels).map(index).to_numpy(dtype=np.int32)
    return [str(n) for n in names], ids


def _balance(counts: dict[str, int]) -> str:
    total = max(1, sum(counts.values()))
    shares = ", ".join(f"{name} {count} ({100 * count / total:.0f}%)" for name, count in counts.items())
    return f"Classes in the training windows: {shares}."


def _example(features: np.ndarray, first: int, window: int) -> str:
    rows = features[first:first + window]
    return "; ".join(" ".join(_num(v) for v in row) for row in rows)


def _num(value: float) -> str:
    # Float32 round trips leave values such as -1.8e-09 where the file said 0.
    return f"{round(float(value), 4) + 0.0:.4g}"


def sniff_columns(path: str, delimiter: str = "auto", encoding: str = "auto") -> list[str]:
    """The column names of a CSV (for the window's column pickers); raises DatasetError."""
    resolved = resolve_path(path, "dataset.params.path", DATA, ".csv", "CSV file")
    return sniff_header(resolved, delimiter, encoding)
