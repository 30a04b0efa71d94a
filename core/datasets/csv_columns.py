"""Which columns of a user's CSV the net reads, which one it predicts, and whether that is a value or a class.

A text target column (walking / running / idle) makes a classification task, a numeric one a
regression, unless ``target_type`` says otherwise (integer class codes are numbers that name
classes). A ``sequence_column`` names the recording each row belongs to; it is never an input.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.datasets.csv_reader import Table, column_kind, column_labels, first_text
from core.errors import DatasetError

DATE_NAMES = {"date", "time", "datetime", "timestamp", "day", "days", "year", "month", "week", "index",
              "step", "t",
              # as spreadsheets in other languages name it
              "datum", "zeit", "tag", "jahr", "jour", "heure", "temps", "année", "fecha", "tiempo", "dia", "año",
              "data", "giorno", "anno"}
TARGET_TYPES = ("auto", "values", "classes")
# A text column is taken for labels when it holds a few values that repeat; a date or a name per
# row is not a class.
MAX_AUTO_CLASSES = 100


@dataclass
class Selection:
    features: list[str]
    target: str
    classes: bool  # the target names classes (classification) rather than values
    sequence: str  # the column of recording ids, or ""


def select_columns(table: Table, params) -> Selection:
    """The columns to use, or a DatasetError naming the column and what is wrong with it."""
    columns = table.columns
    kinds = {name: column_kind(table, name) for name in columns}
    listed = ", ".join(columns)

    def check(name, role: str, *, numeric: bool = True) -> str:
        if isinstance(name, int) and not isinstance(name, bool):
            # Counted from 1, as a spreadsheet user (and the "column N" names) would.
            if not 1 <= name <= len(columns):
                raise DatasetError(f"{role} column number {name} does not exist in {table.name}; "
                                   f"it has {len(columns)} columns ({listed}).")
            name = columns[name - 1]
        if name not in kinds:
            raise DatasetError(f"{role} column {name!r} is not in {table.name}; the columns are: {listed}.")
        if kinds[name] == "empty":
            raise DatasetError(f"{role} column {name!r} of {table.name} is empty.")
        if numeric and kinds[name] == "text":
            raise DatasetError(f"{role} column {name!r} of {table.name} holds text "
                               f"({first_text(table, name)}), not numbers.")
        return name

    sequence = params.get("sequence_column", "").strip()
    if sequence:
        sequence = check(sequence, "Sequence", numeric=False)
    target_type = params.get("target_type", "auto")
    target_name = params["target_column"].strip() if isinstance(params["target_column"], str) else ""
    first = columns[0]
    auto = [c for i, c in enumerate(columns) if kinds[c] == "numeric" and c != sequence
            and not (i == 0 and len(columns) > 1 and c.strip().lower() in DATE_NAMES)]
    if target_name:
        target = check(target_name, "Target", numeric=target_type == "values")
    elif target_type == "classes":
        raise DatasetError("The target is set to classes, but no column to predict is chosen: name the label "
                           "column (dataset.params.target_column).")
    elif not auto:
        raise DatasetError(f"{table.name} has no numeric column to learn from (columns: {listed}).")
    else:
        target = auto[0]
    if target == sequence:
        raise DatasetError(f"The column {target!r} is both the target and the sequence id column; choose another "
                           f"target or sequence column.")
    classes = target_type == "classes" or (target_type == "auto" and kinds[target] == "text")
    if classes:
        _check_labels(table, target, explicit=target_type == "classes")
    use_history = params["use_target_history"] and not classes
    if params["feature_columns"]:
        features = [check(c, "Feature", numeric=False) for c in params["feature_columns"]]
        if len(set(features)) != len(features):
            raise DatasetError("A feature column is listed twice: " + ", ".join(features) + ".")
        if sequence in features:
            raise DatasetError(f"The sequence id column {sequence!r} is listed as an input; ids name recordings, "
                               f"they are not measurements. Remove it from the input columns.")
        features = [check(c, "Feature") for c in features]
    else:
        features = [c for c in auto if c != target or use_history]
        if target not in features and use_history:
            features.insert(0, target)
    if not params["use_target_history"] and not classes:
        if params["feature_columns"] and target in features:
            raise DatasetError(
                f"The features include the target {target!r}, but 'use the target's history' is off. "
                f"Remove it from the features or turn that option on."
            )
        features = [c for c in features if c != target]
    if not features:
        if classes:
            raise DatasetError(f"{table.name} has no numeric column to read besides the labels in {target!r}: "
                               f"the net needs at least one column of measurements.")
        time_axis = first not in auto and len(columns) > 1
        raise DatasetError(
            f"{table.name} has only one numeric column to use ({', '.join(auto)}), and it is the "
            f"target. With 'use the target's history' off, the inputs must be other columns than the "
            f"target, so two numeric columns are needed. Add a feature column to the file, or turn the "
            f"option on to forecast {target!r} from its own past."
            + (f" (The first column {first!r} is the time axis, not a feature.)" if time_axis else "")
        )
    if params["horizon"] == 0 and target in features:
        raise DatasetError(
            f"The horizon is 0 (predict the window's last row) and the target {target!r} is among the inputs: the "
            f"answer would be in the question. Set the horizon to 1 or more, or leave the target out of the inputs."
        )
    return Selection(features, target, classes, sequence)


def _check_labels(table: Table, name: str, *, explicit: bool) -> None:
    labels = column_labels(table, name)
    distinct = {label for label in labels.tolist() if label is not None}
    if len(distinct) < 2:
        one = f" ({next(iter(distinct))!r})" if distinct else ""
        if not explicit:
            raise DatasetError(f"Target column {name!r} of {table.name} holds text ({first_text(table, name)}), not "
                               f"numbers, and a single value{one}, so it cannot be class labels either.")
        raise DatasetError(f"The label column {name!r} of {table.name} holds {len(distinct)} class{one}: a "
                           f"classifier needs at least two.")
    if not explicit and (len(distinct) > MAX_AUTO_CLASSES or len(distinct) > len(labels) // 2):
        raise DatasetError(
            f"Target column {name!r} of {table.name} holds text ({first_text(table, name)}), not numbers, and "
            f"{len(distinct)} different values in {len(labels)} rows, too many to be class labels. Choose a "
            f"numeric column, or set 'Target is' (dataset.params.target_type) to classes to use it as labels."
        )
