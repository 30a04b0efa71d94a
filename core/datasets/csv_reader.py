"""Reading a user's CSV file into columns, with every problem named by its row and column.

The cells are parsed by pandas' C reader (a million rows in about a second), never one Python
call per cell. What a spreadsheet writes is read as such: the delimiter, a decimal comma and the
encoding (UTF-8, else Windows-1252 or Latin-1) are detected unless the user sets them, and the
table says which were detected so the preview can show it.

Rows are the file's data records; a message names a row by the line a text editor or
spreadsheet shows. pandas does not keep line numbers, so they are recovered by a second, plain
reading of the file only when a message or the preview needs one.
"""

from __future__ import annotations

import csv
import io
import re
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.errors import DatasetError
from core.files import ENCODINGS, decode, read_user_data

DELIMITERS = {"auto": None, ",": ",", ";": ";", "tab": "\t", "|": "|"}
DECIMALS = {"auto": None, ".": ".", ",": ","}
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "|"}
MISSING = {"", "na", "n/a", "null", "none", "-", "?", "missing"}
_NA_VALUES = sorted({variant for word in MISSING for variant in (word, word.upper(), word.title())})
FLOAT32_MAX = float(np.finfo(np.float32).max)
# The csv module's own limit on one cell; a longer one is a broken file, not a value.
FIELD_LIMIT = csv.field_size_limit()
_HEAD_BYTES = 64 * 1024
_COMMA_DECIMAL = re.compile(r"^[+-]?\d+,\d+$")
_POINT_DECIMAL = re.compile(r"^[+-]?\d*\.\d+$")


@dataclass
class Table:
    """A CSV file's columns as pandas parsed them (numbers as floats or ints, other cells as text)."""

    name: str
    columns: list[str]
    frame: object  # a pandas DataFrame, one column per file column, in file order
    delimiter: str
    decimal: str
    encoding: str
    detected: tuple[str, ...]  # which of "delimiter", "decimal", "encoding" were detected
    header: bool
    raw: bytes = field(repr=False, default=b"")
    _numbers: dict[object, object] = field(default_factory=dict, repr=False)  # columns as read, by name

    @property
    def num_rows(self) -> int:
        return len(self.frame)

    def describe_format(self) -> str:
        """How the file was read, in words: 'semicolon-separated, decimal comma, Windows-1252 (all detected)'."""
        shown = (f"{DELIMITER_NAMES.get(self.delimiter, self.delimiter)}-separated",
                 "decimal comma" if self.decimal == "," else "decimal point",
                 ENCODINGS.get(self.encoding, self.encoding))
        detected = {"delimiter": "delimiter", "decimal": "decimal mark", "encoding": "encoding"}
        which = [detected[name] for name in detected if name in self.detected]
        how = "all detected" if len(which) == 3 else (f"detected: {', '.join(which)}" if which else "as set")
        return f"{', '.join(shown)} ({how})"

    # --- rows as the file shows them --------------------------------------------------------

    def records(self, wanted) -> dict[int, tuple[int, list[str]]]:
        """For each data row index in ``wanted``: (file line, its cells as written)."""
        wanted = {int(i) for i in wanted}
        if not wanted:
            return {}
        text = decode(self.raw, self.encoding)
        if '"' not in text and text.count("\r") == text.count("\r\n"):
            return self._records_by_line(text, wanted)
        # Quoted cells may hold line breaks: only a CSV reader knows where a record ends.
        found: dict[int, tuple[int, list[str]]] = {}
        last = max(wanted)
        reader = csv.reader(io.StringIO(text), delimiter=self.delimiter, skipinitialspace=True)
        index = -1 if self.header else 0
        try:
            for record in reader:
                if not record or (len(record) == 1 and not record[0].strip()):
                    continue  # a blank line: pandas skips it too
                if index in wanted:
                    found[index] = (reader.line_num, [cell.strip() for cell in record])
                    if index == last:
                        break
                index += 1
        except csv.Error as exc:
            raise DatasetError(f"{self.name}, row {reader.line_num}: the CSV is malformed ({exc}).") from None
        return found

    def _records_by_line(self, text: str, wanted: set[int]) -> dict[int, tuple[int, list[str]]]:
        # Without quotes a record is a line: find the non-blank lines with C-speed string calls.
        lines = text.split("\n")
        blank = np.fromiter(map(str.isspace, lines), dtype=bool, count=len(lines))
        blank |= np.fromiter(map(len, lines), dtype=np.int64, count=len(lines)) == 0
        filled = np.flatnonzero(~blank)
        offset = 1 if self.header else 0
        found = {}
        for row in wanted:
            if 0 <= row + offset < len(filled):
                number = int(filled[row + offset])
                try:
                    cells = next(csv.reader([lines[number]], delimiter=self.delimiter, skipinitialspace=True), [])
                except csv.Error as exc:
                    raise DatasetError(f"{self.name}, row {number + 1}: the CSV is malformed ({exc}).") from None
                found[row] = (number + 1, [cell.strip() for cell in cells])
        return found

    def rows_with_extra_cells(self) -> np.ndarray:
        """Data rows with something after the last column (a trailing delimiter does not count)."""
        text = decode(self.raw, self.encoding)
        n = len(self.columns)
        if '"' in text or text.count("\r") != text.count("\r\n"):
            found = self.records(range(len(self.frame)))
            return np.asarray(sorted(row for row, (_, cells) in found.items()
                                     if any(cell for cell in cells[n:])), dtype=np.int64)
        lines = [line for line in text.split("\n") if line.strip()]
        lines = lines[1:] if self.header else lines
        junk = self.delimiter + " \t\r"
        extra = [i for i, line in enumerate(lines)
                 if line.count(self.delimiter) >= n and line.split(self.delimiter, n)[n].strip(junk)]
        return np.asarray(extra, dtype=np.int64)

    def line_of(self, row: int) -> int:
        return self.records([row]).get(row, (row + 1, []))[0]

    def where(self, row: int, column: str) -> str:
        return f"{self.name}, row {self.line_of(row)}, column {column!r}"


# --- reading --------------------------------------------------------------------------------

_CACHE: dict[tuple, Table] = {}
_CACHE_LOCK = threading.Lock()


def read_table(path: Path, delimiter: str = "auto", decimal: str = "auto", encoding: str = "auto") -> Table:
    """The file's table; the last one read is kept while the file is unchanged (the preview
    rebuilds on every edit of the window or the horizon, and re-parsing a big file each time
    would make the form lag)."""
    try:
        stat = path.stat()
        key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size, delimiter, decimal, encoding)
    except OSError:
        key = None
    with _CACHE_LOCK:
        if key is not None and key in _CACHE:
            return _CACHE[key]
    table = _read(path, delimiter, decimal, encoding)
    if key is not None:
        with _CACHE_LOCK:
            _CACHE.clear()
            _CACHE[key] = table
    return table


@dataclass(frozen=True)
class _Layout:
    delimiter: str
    decimal: str
    header: bool
    columns: list[str]
    detected: tuple[str, ...]


def _layout(raw: bytes, encoding: str, delimiter: str, decimal: str, detected: list[str], name: str) -> _Layout:
    """Delimiter, decimal mark, header and column names, from the first lines of the file."""
    head = _decode_head(raw, encoding)
    lines = [line for line in head.splitlines() if line.strip()][:50]
    delim = DELIMITERS.get(delimiter) or _detect_delimiter(lines)
    if DELIMITERS.get(delimiter) is None:
        detected.append("delimiter")
    dec = DECIMALS.get(decimal) or _detect_decimal(lines, delim)
    if DECIMALS.get(decimal) is None:
        detected.append("decimal")
    if dec == delim:
        raise DatasetError(f"{name}: the delimiter and the decimal mark are both {delim!r}; a comma cannot both end a "
                           f"cell and sit inside a number. Set the delimiter (dataset.params.delimiter) or the "
                           f"decimal mark (dataset.params.decimal) to what the file uses.")
    header_cells = _first_record(lines, delim, name)
    has_header = not all(_is_number(cell, dec) for cell in header_cells if cell)
    return _Layout(delim, dec, has_header, _column_names(header_cells, has_header, name), tuple(detected))


def _read(path: Path, delimiter: str, decimal: str, encoding: str) -> Table:
    import pandas as pd

    raw, used = read_user_data(path, "CSV file", DatasetError, encoding)
    layout = _layout(raw, used, delimiter, decimal, ["encoding"] if encoding == "auto" else [], path.name)
    columns = layout.columns
    body = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    try:
        with warnings.catch_warnings(record=True) as caught:
            # A column of numbers with a word far down is read in chunks of mixed types (the
            # DtypeWarning); _numbers reads such a column cell by cell type anyway.
            warnings.simplefilter("ignore", pd.errors.DtypeWarning)
            warnings.simplefilter("always", pd.errors.ParserWarning)
            frame = pd.read_csv(
                io.BytesIO(body), sep=layout.delimiter, decimal=layout.decimal, encoding=used,
                header=0 if layout.header else None, names=range(len(columns)), index_col=False,
                skipinitialspace=True, keep_default_na=False, na_values=_NA_VALUES, skip_blank_lines=True, engine="c",
            )
    except pd.errors.EmptyDataError:
        frame = pd.DataFrame(columns=range(len(columns)))
    except (pd.errors.ParserError, ValueError, UnicodeDecodeError, OverflowError, MemoryError) as exc:
        raise _parser_error(exc, path.name, columns) from None
    table = Table(path.name, columns, frame, layout.delimiter, layout.decimal, used, layout.detected,
                  layout.header, raw)
    if not len(frame):
        raise DatasetError(f"{path.name} has a header ({', '.join(columns)}) but no data rows.")
    # pandas takes one cell past the last column for a trailing delimiter and drops it, saying
    # so in a ParserWarning: then look for a row where that cell holds something.
    _check_row_lengths(table, any(issubclass(w.category, pd.errors.ParserWarning) for w in caught))
    return table


def _decode_head(raw: bytes, encoding: str) -> str:
    if len(raw) <= _HEAD_BYTES:
        return decode(raw, encoding)
    head = raw[:_HEAD_BYTES]
    cut = head.rfind(b"\n")  # at a line end, so that no character is cut in half
    return decode(head[:cut] if cut > 0 else head, encoding)


def _detect_delimiter(lines: list[str]) -> str:
    best, best_score = ",", 0
    for delim in (",", ";", "\t", "|"):
        counts = [line.count(delim) for line in lines[:30]]
        if not counts or min(counts) == 0:
            continue
        score = min(counts) + (100 if len(set(counts)) == 1 else 0)
        if score > best_score:
            best, best_score = delim, score
    return best


def _detect_decimal(lines: list[str], delim: str) -> str:
    """A comma is the decimal mark when cells such as 1,5 outnumber cells such as 1.5 (never in a
    comma-separated file, where a comma ends the cell)."""
    if delim == ",":
        return "."
    comma = point = 0
    for line in lines[1:]:
        for cell in line.split(delim):
            cell = cell.strip().strip('"')
            comma += bool(_COMMA_DECIMAL.match(cell))
            point += bool(_POINT_DECIMAL.match(cell))
    return "," if comma > point else "."


def _first_record(lines: list[str], delim: str, name: str) -> list[str]:
    if not lines:
        raise DatasetError(f"The CSV file {name} is empty.")
    try:
        record = next(csv.reader(io.StringIO(lines[0]), delimiter=delim, skipinitialspace=True))
    except (csv.Error, StopIteration) as exc:
        raise DatasetError(f"{name}, row 1: the CSV is malformed ({exc}).") from None
    return [cell.strip() for cell in record]


def _is_number(cell: str, decimal: str = ".") -> bool:
    try:
        float(cell.replace(",", ".") if decimal == "," else cell)
    except ValueError:
        return False
    return True


def _column_names(cells: list[str], has_header: bool, name: str) -> list[str]:
    if not has_header:
        return [f"column {i + 1}" for i in range(len(cells))]
    columns = [cell or f"column {i + 1}" for i, cell in enumerate(cells)]
    seen: dict[str, int] = {}
    for i, col in enumerate(columns):
        if col in seen:
            raise DatasetError(f"{name}: columns {seen[col] + 1} and {i + 1} are both named {col!r}; "
                               f"give every column its own name.")
        seen[col] = i
    return columns


_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_EOF_QUOTE = re.compile(r"EOF inside string starting at row (\d+)")


def _parser_error(exc: Exception, name: str, columns: list[str]) -> DatasetError:
    text = str(exc)
    fields = _FIELDS.search(text)
    if fields:
        expected, line, saw = (int(g) for g in fields.groups())
        return DatasetError(f"{name}, row {line}: {saw} cells, but the header has {len(columns)} columns "
                            f"({', '.join(columns)}).")
    quote = _EOF_QUOTE.search(text)
    if quote:
        return DatasetError(f"{name}, row {int(quote.group(1)) + 1}: a quote opens a cell that is never closed, so "
                            f"the rest of the file reads as one cell and this row has too few cells.")
    return DatasetError(f"{name}: the CSV is malformed ({text.strip().splitlines()[-1] if text.strip() else exc}).")


def _check_row_lengths(table: Table, cut: bool) -> None:
    """The first row with too few or too many cells, if any: pandas fills a short row with blanks
    (so a blank last cell may be one), and drops a row's one extra cell when ``cut``."""
    last = table.frame.iloc[:, -1]
    candidates = np.flatnonzero(last.isna().to_numpy()) if len(table.columns) > 1 else np.zeros(0, np.int64)
    if cut:
        candidates = np.union1d(candidates, table.rows_with_extra_cells())
    if not len(candidates):
        return
    for _, (line, cells) in sorted(table.records(candidates).items()):
        count = len(cells)
        while count > len(table.columns) and not cells[count - 1]:
            count -= 1  # a trailing delimiter
        if count != len(table.columns):
            raise DatasetError(f"{table.name}, row {line}: {count} cells, but the header has {len(table.columns)} "
                               f"columns ({', '.join(table.columns)}).")


# --- columns --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Numbers:
    """A column read as numbers: the values (NaN where there is none), which cells are missing
    (blank or a word such as NA) and which hold something that is not a number ("nan" included)."""

    values: np.ndarray
    missing: np.ndarray
    unparsed: np.ndarray
    nan_words: int = 0

    @property
    def numbers(self) -> int:
        return int((~self.missing & ~self.unparsed).sum()) + self.nan_words


_NAN_WORDS = ("nan", "+nan", "-nan")


def _numbers(table: Table, name: str) -> _Numbers:
    """The column's numeric reading, cached in the table. Text work (stripping, lower-casing) is
    done only on the few cells the vectorised conversion could not read, so a million numbers
    and one bad cell cost about as much as a million numbers."""
    import pandas as pd

    if name in table._numbers:
        return table._numbers[name]
    series = table.frame.iloc[:, table.columns.index(name)]
    if series.dtype.kind in "iuf":
        values = series.to_numpy(dtype=np.float64)
        numbers = _Numbers(values, np.isnan(values), np.zeros(len(values), dtype=bool))
    else:
        values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64)
        missing = series.isna().to_numpy()
        unread = np.flatnonzero(np.isnan(values) & ~missing)
        unparsed = np.zeros(len(values), dtype=bool)
        nan_words = 0
        if len(unread):
            text = series.iloc[unread].astype(str).str.strip()
            again = text.str.replace(",", ".", regex=False) if table.decimal == "," else text
            values[unread] = pd.to_numeric(again, errors="coerce").to_numpy(dtype=np.float64)
            lowered = text.str.lower()
            words = lowered.isin(MISSING).to_numpy()
            nan_text = lowered.isin(_NAN_WORDS).to_numpy()
            missing[unread[words]] = True
            unparsed[unread[~words & (np.isnan(values[unread]) | nan_text)]] = True
            values[unread[nan_text]] = np.nan
            nan_words = int(nan_text.sum())
        numbers = _Numbers(values, missing, unparsed, nan_words)
    table._numbers[name] = numbers
    return numbers


def column_kind(table: Table, name: str) -> str:
    """ "numeric", "text" or "empty", by what most of its cells hold."""
    read = _numbers(table, name)
    numbers = read.numbers
    texts = int((~read.missing).sum()) - numbers
    if numbers == 0 and texts == 0:
        return "empty"
    return "numeric" if numbers >= texts else "text"


def first_text(table: Table, name: str) -> str:
    """The first cell of a column that is not a number, for messages ("e.g. 'Rome' in row 2")."""
    read = _numbers(table, name)
    bad = np.flatnonzero(read.unparsed)
    if not len(bad):
        return "no text"
    line, cells = table.records([bad[0]]).get(int(bad[0]), (0, []))
    cell = cells[table.columns.index(name)] if len(cells) > table.columns.index(name) else ""
    return f"e.g. {_shown(cell)} in row {line}"


def column_values(table: Table, name: str) -> np.ndarray:
    """The column as float64 with NaN for each missing cell; a DatasetError names the first cell
    that is not a number, not finite or beyond float32, with its row and column."""
    read = _numbers(table, name)
    values = read.values
    bad = read.unparsed | (~read.missing & ~np.isfinite(values))
    with np.errstate(invalid="ignore"):
        bad |= np.abs(values) > FLOAT32_MAX
    if bad.any():
        raise _bad_cell(table, name, int(np.flatnonzero(bad)[0]), values)
    return np.where(read.missing, np.nan, values)


def column_labels(table: Table, name: str) -> np.ndarray:
    """The column as text (object array), None for each missing cell; kept in the table, since
    turning a million cells into text takes a while and the preview rebuilds on every edit."""
    key = ("labels", name)
    if key not in table._numbers:
        series = table.frame.iloc[:, table.columns.index(name)]
        missing = _numbers(table, name).missing
        if series.dtype.kind == "f" and np.all(np.mod(series.dropna().to_numpy(), 1) == 0):
            texts = series.astype("Int64").astype(str)  # 3.0 read as a float because of a blank: the label is 3
        else:
            texts = series.astype(str).str.strip()
        out = texts.to_numpy(dtype=object)
        out[missing] = None
        table._numbers[key] = out
    return table._numbers[key]


def _bad_cell(table: Table, name: str, row: int, values: np.ndarray) -> DatasetError:
    col = table.columns.index(name)
    line, cells = table.records([row]).get(row, (row + 1, []))
    cell = cells[col] if col < len(cells) else ""
    where = f"{table.name}, row {line}, column {name!r}"
    if len(cell) > 1000:
        return DatasetError(f"{where}: the CSV is malformed (a cell of {len(cell):,} characters).")
    number = _is_number(cell, table.decimal)
    if not number:
        return DatasetError(f"{where}: {_shown(cell)} is not a number.")
    value = float(cell.replace(",", ".") if table.decimal == "," else cell)
    if not np.isfinite(value) or not np.isfinite(values[row]):
        return DatasetError(f"{where}: {_shown(cell)} is not a finite number (NaN and infinity cannot be learned from).")
    return DatasetError(f"{where}: {_shown(cell)} is too large (beyond about 3.4e38).")


def _shown(cell: str) -> str:
    return repr(cell if len(cell) <= 40 else cell[:40] + "…")


def sniff_header(path: Path, delimiter: str = "auto", encoding: str = "auto") -> list[str]:
    """The column names, read from the start of the file only (the window's column pickers)."""
    raw, used = read_user_data(path, "CSV file", DatasetError, encoding)
    return list(_layout(raw, used, delimiter, "auto", [], path.name).columns)
