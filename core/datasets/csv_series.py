"""A time series from the user's CSV file: pick feature and target columns, window, horizon, stride.

The rows are taken as consecutive time steps. They are split in time order BEFORE windowing (the
last rows for validation, with every validation window wholly inside them), and the mean and
spread used for normalisation come from the training rows only, so nothing of the validation
period leaks into training. Every problem with the file is reported with its row (the line
number a text editor or spreadsheet shows) and column.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.datasets.arrays import fit_normalization, normalize, parse_number_rows, series_windows
from core.datasets.base import REGRESSION, DataInfo, ParamSpec, SequenceData, Task, register_task
from core.datasets.text import RESOURCES, read_user_text, resolve_path
from core.errors import DatasetError

DATA = RESOURCES / "data"
DELIMITERS = {"auto": None, ",": ",", ";": ";", "tab": "\t", "|": "|"}
MISSING = {"", "na", "n/a", "null", "none", "-", "?", "missing"}
DATE_NAMES = {"date", "time", "datetime", "timestamp", "day", "days", "year", "month", "week", "index",
              "step", "t"}
FLOAT32_MAX = float(np.finfo(np.float32).max)


@dataclass
class Table:
    name: str
    columns: list[str]
    rows: list[list[str]]
    lines: list[int]  # the file line of each row, for messages
    delimiter: str


def _detect_delimiter(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()][:30]
    best, best_score = ",", 0
    for delim in (",", ";", "\t", "|"):
        counts = [line.count(delim) for line in lines]
        if not counts or min(counts) == 0:
            continue
        score = min(counts) + (100 if len(set(counts)) == 1 else 0)
        if score > best_score:
            best, best_score = delim, score
    return best


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def read_table(path: Path, delimiter: str = "auto") -> Table:
    text = read_user_text(path, "CSV file")
    delim = DELIMITERS.get(delimiter) or _detect_delimiter(text)
    reader = csv.reader(io.StringIO(text), delimiter=delim)
    records: list[tuple[int, list[str]]] = []
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue  # blank line
            records.append((reader.line_num, [cell.strip() for cell in record]))
    except csv.Error as exc:
        raise DatasetError(f"{path.name}, row {reader.line_num}: the CSV is malformed ({exc}).") from None
    if not records:
        raise DatasetError(f"The CSV file {path.name} is empty.")
    header_line, header = records[0]
    if all(_is_number(cell) for cell in header if cell):
        columns = [f"column {i + 1}" for i in range(len(header))]
        data = records
    else:
        columns = [cell or f"column {i + 1}" for i, cell in enumerate(header)]
        data = records[1:]
        seen: dict[str, int] = {}
        for i, col in enumerate(columns):
            if col in seen:
                raise DatasetError(
                    f"{path.name}: columns {seen[col] + 1} and {i + 1} are both named {col!r}; "
                    f"give every column its own name."
                )
            seen[col] = i
    if not data:
        raise DatasetError(f"{path.name} has a header ({', '.join(columns)}) but no data rows.")
    rows, lines = [], []
    for line, record in data:
        while len(record) > len(columns) and not record[-1]:
            record = record[:-1]  # a trailing delimiter
        if len(record) != len(columns):
            raise DatasetError(
                f"{path.name}, row {line}: {len(record)} cells, but the header has {len(columns)} columns "
                f"({', '.join(columns)})."
            )
        rows.append(record)
        lines.append(line)
    return Table(path.name, columns, rows, lines, delim)


def _column_kind(table: Table, col: int) -> str:
    """ "numeric", "text" or "empty", by what most of its cells hold."""
    numbers = texts = 0
    for row in table.rows:
        cell = row[col]
        if cell.lower() in MISSING:
            continue
        if _is_number(cell):
            numbers += 1
        else:
            texts += 1
    if numbers == 0 and texts == 0:
        return "empty"
    return "numeric" if numbers >= texts else "text"


def _first_text(table: Table, col: int) -> str:
    for row, line in zip(table.rows, table.lines):
        if row[col] and not _is_number(row[col]):
            return f"e.g. {row[col]!r} in row {line}"
    return "no numbers"


def column_values(table: Table, name: str) -> np.ndarray:
    """The column as float64, or a DatasetError naming the first bad row and the column."""
    col = table.columns.index(name)
    values = np.empty(len(table.rows))
    for i, (row, line) in enumerate(zip(table.rows, table.lines)):
        cell = row[col]
        where = f"{table.name}, row {line}, column {name!r}"
        if cell.lower() in MISSING:
            shown = "is empty" if not cell else f"holds {cell!r}"
            raise DatasetError(f"{where} {shown}: a missing value. Fill it in or delete the row.")
        try:
            value = float(cell)
        except ValueError:
            raise DatasetError(f"{where}: {cell!r} is not a number.") from None
        if not math.isfinite(value):
            raise DatasetError(f"{where}: {cell!r} is not a finite number (NaN and infinity cannot be learned from).")
        if abs(value) > FLOAT32_MAX:
            raise DatasetError(f"{where}: {cell!r} is too large (beyond about 3.4e38).")
        values[i] = value
    return values


@dataclass
class Selection:
    features: list[str]
    target: str


def select_columns(table: Table, feature_columns: list, target_column: str, use_target_history: bool) -> Selection:
    kinds = {name: _column_kind(table, i) for i, name in enumerate(table.columns)}
    listed = ", ".join(table.columns)

    def check(name, role: str) -> str:
        if isinstance(name, int) and not isinstance(name, bool):
            # Counted from 1, as a spreadsheet user (and the "column N" names) would.
            if not 1 <= name <= len(table.columns):
                raise DatasetError(f"{role} column number {name} does not exist in {table.name}; "
                                   f"it has {len(table.columns)} columns ({listed}).")
            name = table.columns[name - 1]
        if name not in kinds:
            raise DatasetError(f"{role} column {name!r} is not in {table.name}; the columns are: {listed}.")
        if kinds[name] == "text":
            raise DatasetError(f"{role} column {name!r} of {table.name} holds text "
                               f"({_first_text(table, table.columns.index(name))}), not numbers.")
        if kinds[name] == "empty":
            raise DatasetError(f"{role} column {name!r} of {table.name} is empty.")
        return name

    first = table.columns[0]
    auto = [c for i, c in enumerate(table.columns) if kinds[c] == "numeric"
            and not (i == 0 and len(table.columns) > 1 and c.strip().lower() in DATE_NAMES)]
    if not auto:
        raise DatasetError(f"{table.name} has no numeric column to learn from (columns: {listed}).")
    target = check(target_column, "Target") if target_column else auto[0]
    if feature_columns:
        features = [check(c, "Feature") for c in feature_columns]
        if len(set(features)) != len(features):
            raise DatasetError("A feature column is listed twice: " + ", ".join(features) + ".")
    else:
        features = list(auto)
        if target not in features and use_target_history:
            features.insert(0, target)
    if not use_target_history:
        if feature_columns and target in features:
            raise DatasetError(
                f"The features include the target {target!r}, but 'use the target's history' is off. "
                f"Remove it from the features or turn that option on."
            )
        features = [c for c in features if c != target]
        if not features:
            time_axis = first not in auto and len(table.columns) > 1
            raise DatasetError(
                f"{table.name} has only one numeric column to use ({', '.join(auto)}), and it is the "
                f"target. With 'use the target's history' off, the inputs must be other columns than the "
                f"target, so two numeric columns are needed. Add a feature column to the file, or turn the "
                f"option on to forecast {target!r} from its own past."
                + (f" (The first column {first!r} is the time axis, not a feature.)" if time_axis else "")
            )
    return Selection(features, target)


@register_task
class CsvTask(Task):
    name = "csv"
    title = "CSV time series"
    description = (
        "Your own time series from a CSV file (one row per time step, a header row with column "
        "names). Choose the input columns, the column to predict, how many rows the net reads "
        "(window) and how far ahead it predicts (horizon). The last rows are kept for validation and "
        "the data are scaled with the mean and spread of the training rows only, so the score shows "
        "how well the model forecasts a period it has never seen."
    )
    lecture_note = (
        "Numerical time series from sensors or markets, the lecture's main application: a sequence of "
        "vectors in, one forecast out (many-to-one), or a forecast after every step (many-to-many)."
    )
    kind = REGRESSION
    natural_mode = "many_to_one"
    supported_modes = ("many_to_one", "many_to_many")
    accepts_typed_input = True
    params = (
        ParamSpec("path", "path", "builtin:daily_weather", "CSV file",
                  "A .csv file with a header row; builtin:daily_weather is two years of daily weather "
                  "shipped with RNN Lab."),
        ParamSpec("feature_columns", "columns", [], "Input columns",
                  "Columns the net reads, by name (or number, counting from 1). Empty: every numeric "
                  "column except a date/time first column."),
        ParamSpec("target_column", "str", "", "Column to predict",
                  "The column to forecast. Empty: the first numeric column."),
        ParamSpec("window", "int", 14, "Window (rows)", "How many past rows the net reads.",
                  minimum=1, maximum=10000),
        ParamSpec("horizon", "int", 1, "Horizon (rows ahead)",
                  "Predict the target this many rows after the window's last row.", minimum=1, maximum=10000),
        ParamSpec("stride", "int", 1, "Stride", "Rows between the starts of two windows.",
                  minimum=1, maximum=10000),
        ParamSpec("use_target_history", "bool", True, "Use the target's history",
                  "Feed the target column's own past values as an input (a column is never hidden from "
                  "its own forecast by default)."),
        ParamSpec("delimiter", "choice", "auto", "Delimiter",
                  "The character between cells; auto detects comma, semicolon, tab or |.",
                  choices=tuple(DELIMITERS)),
    )

    def load(self, params) -> tuple[Table, Path]:
        path = resolve_path(params["path"], "dataset.params.path", DATA, ".csv", "CSV file")
        return read_table(path, params["delimiter"]), path

    def build(self, params, io_mode, validation_split, seed) -> SequenceData:
        table, path = self.load(params)
        chosen = select_columns(table, params["feature_columns"], params["target_column"].strip(),
                                params["use_target_history"])
        features = np.stack([column_values(table, c) for c in chosen.features], axis=1)
        target = column_values(table, chosen.target)[:, None]
        window, horizon = params["window"], params["horizon"]
        x_tr, y_tr, x_va, y_va, n_train = series_windows(
            features, target, window=window, horizon=horizon, stride=params["stride"],
            validation_split=validation_split, io_mode=io_mode, source=table.name, unit="data rows")
        norm = fit_normalization(features[:n_train], target[:n_train])
        x_tr, x_va = (normalize(x, norm["x_mean"], norm["x_std"]) for x in (x_tr, x_va))
        y_tr, y_va = (normalize(y, norm["y_mean"], norm["y_std"]) for y in (y_tr, y_va))
        example = "; ".join(" ".join(table.rows[i][table.columns.index(c)] for c in chosen.features)
                            for i in range(window))
        info = DataInfo(
            task=self.name, io_mode=io_mode, kind=REGRESSION, input_kind="real",
            input_shape=(window, len(chosen.features)),
            output_shape=(window, 1) if io_mode == "many_to_many" else (1,),
            feature_names=list(chosen.features), target_names=[chosen.target], normalization=norm,
            description=self.description,
            extra={"path": str(path), "file": table.name, "delimiter": table.delimiter,
                   "rows": len(table.rows), "train_rows": n_train, "first_row_line": table.lines[0],
                   "window": window, "horizon": horizon, "stride": params["stride"],
                   "columns": list(table.columns), "input_example": example},
        )
        return SequenceData(x_tr, y_tr, x_va, y_va, info)

    def decode_input(self, info: DataInfo, x: np.ndarray) -> str:
        rows = info.denormalize_x(np.asarray(x).reshape(-1, len(info.feature_names)))
        last = ", ".join(f"{name} {_num(v)}" for name, v in zip(info.feature_names, rows[-1]))
        return f"{len(rows)} rows; last row: {last}"

    def decode_output(self, info: DataInfo, y: np.ndarray) -> str:
        values = np.asarray(info.denormalize_y(y), dtype=float).reshape(-1)
        target = info.target_names[0] if info.target_names else "target"
        horizon = info.extra.get("horizon", 1)
        ahead = f"{horizon} row{'s' if horizon != 1 else ''} ahead"
        if values.size > 1:
            shown = ", ".join(_num(v) for v in values[-6:])
            return f"{target} {ahead} of each row: {'... ' if values.size > 6 else ''}{shown}"
        return f"{target} {ahead}: {_num(values[0])}"

    def encode_input(self, info: DataInfo, text: str) -> np.ndarray:
        rows = parse_number_rows(text, info.feature_names, info.input_shape[0], row_word="row")
        norm = info.normalization or {}
        return normalize(rows, norm.get("x_mean", 0.0), norm.get("x_std", 1.0))


def _num(value: float) -> str:
    # Float32 round trips leave values such as -1.8e-09 where the file said 0.
    return f"{round(float(value), 4) + 0.0:.4g}"


def sniff_columns(path: str, delimiter: str = "auto") -> list[str]:
    """The column names of a CSV (for the window's column pickers); raises DatasetError."""
    resolved = resolve_path(path, "dataset.params.path", DATA, ".csv", "CSV file")
    return read_table(resolved, delimiter).columns

