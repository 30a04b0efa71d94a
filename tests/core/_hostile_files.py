"""Hostile files for every file RNN Lab reads, written on demand into a folder.

Each case is a ``Hostile``: ``write(folder)`` creates the file (or folder, or nothing for a
missing path) and returns the path to open; ``words`` are what the error message must say
(compared case-insensitively); ``names_file`` says the message must name the file; ``params``
are extra dataset parameters to open the file with (CSV and text cases).

The core tests open each case with the engine (build_dataset, load_project, load_bundle,
import_keras); the GUI tests can feed the same files to the window's Open/Import actions. The
bundle and .keras cases are derived from a valid file the caller made (``bundle_cases(good)``),
so this module needs Keras only for the Lambda cases, and imports it lazily.
"""

from __future__ import annotations

import base64
import codecs
import json
import marshal
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# A number with more digits than Python will turn into an int from text (4300 by default):
# json.loads then raises ValueError, not JSONDecodeError.
HUGE_INT_LITERAL = "9" * 5000
# Fits the int parser but not a float: float() raises OverflowError.
BIG_INT_LITERAL = "1" + "0" * 400


@dataclass(frozen=True)
class Hostile:
    id: str
    write: Callable[[Path], Path]
    words: tuple[str, ...]
    names_file: bool = True
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:  # pytest ids
        return self.id


def _bytes_file(name: str, data: bytes | Callable[[], bytes]) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(data() if callable(data) else data)
        return path

    return write


def _folder(name: str) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        path = folder / name
        path.mkdir()
        return path

    return write


def _missing(name: str) -> Callable[[Path], Path]:
    return lambda folder: folder / name


def junk_bytes(size: int = 4096, *, nul: bool = True) -> bytes:
    """Deterministic noise; without NUL it is still not UTF-8 (bytes >= 0x80 in no valid order)."""
    import random

    rng = random.Random(1234)
    if nul:
        return bytes(rng.randrange(256) for _ in range(size))
    return bytes(rng.choice((0x80, 0x9F, 0xC0, 0xFF, 0xFE, 0xC1, 0xF8)) for _ in range(size))


def _cut_mid_line(text: str) -> str:
    """The first half of ``text``, cut inside a line (so the last line is incomplete)."""
    cut = len(text) // 2
    while text[cut - 1] in "\n," or text[cut] in "\n,":
        cut += 1
    return text[:cut]


# --- CSV ------------------------------------------------------------------------------------

CSV_COLUMNS = ("day", "temp", "humidity", "pressure")


def good_csv_text(rows: int = 40) -> str:
    """A clean series: a day counter, then three numeric columns (the day is the time axis)."""
    lines = [",".join(CSV_COLUMNS)]
    for i in range(rows):
        lines.append(f"{i + 1},{10 + (i * 7) % 13 * 0.5:.1f},{50 + (i * 5) % 17},{1000 + i % 9}")
    return "\n".join(lines) + "\n"


def _csv_with_cell(row: int, column: str, value: str) -> bytes:
    """The good CSV with one cell replaced; ``row`` counts data rows from 1 (file line row + 1)."""
    lines = good_csv_text().splitlines()
    cells = lines[row].split(",")
    cells[CSV_COLUMNS.index(column)] = value
    lines[row] = ",".join(cells)
    return ("\n".join(lines) + "\n").encode()


def _bad_cell(case_id: str, file: str, row: int, column: str, value: str, *words: str) -> Hostile:
    """The good CSV with one bad cell; the message must name its file line (row + 1) and column."""
    return Hostile(case_id, _bytes_file(file, _csv_with_cell(row, column, value)),
                   (f"row {row + 1}", f"'{column}'", *words))


def _csv_with_line(row: int, line: str) -> bytes:
    lines = good_csv_text().splitlines()
    lines[row] = line
    return ("\n".join(lines) + "\n").encode()


def _csv_with_text_column() -> bytes:
    """The good CSV with its last column holding city names instead of numbers."""
    lines = [line.rsplit(",", 1)[0] for line in good_csv_text().splitlines()]
    lines = [lines[0] + ",city"] + [line + ",Rome" for line in lines[1:]]
    return ("\n".join(lines) + "\n").encode()


def csv_cases() -> list[Hostile]:
    good = good_csv_text()
    latin1 = good.replace("temp", "température", 1).encode("latin-1")
    c = Hostile
    return [
        c("empty", _bytes_file("empty.csv", b""), ("empty",)),
        c("blank_lines", _bytes_file("blank.csv", b"\n  \n\t\n"), ("empty",)),
        c("header_only", _bytes_file("header.csv", b"day,temp,humidity\n"), ("header", "no data rows")),
        c("truncated", _bytes_file("truncated.csv", _cut_mid_line(good).encode()), ("row", "cells", "4 columns")),
        c("binary", _bytes_file("binary.csv", junk_bytes()), ("binary",)),
        c("binary_no_nul", _bytes_file("noise.csv", junk_bytes(nul=False)), ("not utf-8",)),
        c("utf16_bom", _bytes_file("utf16.csv", good.encode("utf-16")), ("utf-16", "utf-8")),
        c("utf16_no_bom", _bytes_file("utf16le.csv", good.encode("utf-16-le")), ("utf-16", "utf-8")),
        # Read when detected; refused when the user insists on UTF-8.
        c("latin1", _bytes_file("latin1.csv", latin1), ("not utf-8", "line 1", "latin-1"),
          params={"encoding": "utf-8"}),
        _bad_cell("overflow_1e400", "overflow.csv", 5, "temp", "1e400", "'1e400'", "not a finite number"),
        _bad_cell("huge_1e308", "huge.csv", 7, "humidity", "1e308", "too large"),
        _bad_cell("nan_cell", "nan.csv", 3, "pressure", "NaN", "not a finite number"),
        _bad_cell("inf_cell", "inf.csv", 9, "temp", "inf", "not a finite number"),
        _bad_cell("minus_infinity_cell", "minf.csv", 2, "humidity", "-Infinity", "not a finite number"),
        _bad_cell("empty_cell", "gap.csv", 12, "temp", "", "missing value"),
        _bad_cell("na_cell", "na.csv", 4, "humidity", "NA", "missing value"),
        _bad_cell("text_cell", "word.csv", 8, "temp", "warm", "'warm' is not a number"),
        c("short_row", _bytes_file("short.csv", _csv_with_line(6, "7,11.5")),
          ("row 7", "2 cells", "4 columns")),
        c("long_row", _bytes_file("long.csv", _csv_with_line(6, "7,11.5,50,1000,3,4")),
          ("row 7", "6 cells", "4 columns")),
        c("duplicate_header", _bytes_file("dup.csv", good.replace("humidity", "temp", 1).encode()),
          ("both named", "'temp'")),
        c("unterminated_quote", _bytes_file("quote.csv", _csv_with_line(3, '4,"11.5,50,1000')),
          ("row", "cells")),
        c("giant_field", _bytes_file("giant.csv", _csv_with_line(3, "4," + "1" * 200_000 + ",50,1000")),
          ("row", "malformed")),
        c("missing_column", _bytes_file("ok.csv", good.encode()), ("'wind'", "not in", "temp"),
          params={"target_column": "wind"}),
        c("column_number_out_of_range", _bytes_file("ok.csv", good.encode()), ("column number 9", "4 columns"),
          params={"feature_columns": [9]}),
        c("text_column_as_target", _bytes_file("city.csv", _csv_with_text_column()),
          ("'city'", "holds text", "'rome'"), params={"target_column": "city"}),
        c("window_longer_than_file", _bytes_file("ok.csv", good.encode()), ("40 data rows", "window of 100"),
          params={"window": 100}),
        c("window_wrong_type", _bytes_file("ok.csv", good.encode()), ("dataset.params.window", "whole number"),
          names_file=False, params={"window": "many"}),
        c("window_fraction", _bytes_file("ok.csv", good.encode()), ("dataset.params.window", "whole number", "3.5"),
          names_file=False, params={"window": 3.5}),
        c("stride_infinite", _bytes_file("ok.csv", good.encode()), ("dataset.params.stride", "whole number", "inf"),
          names_file=False, params={"stride": float("inf")}),
        c("horizon_huge", _bytes_file("ok.csv", good.encode()), ("dataset.params.horizon", "<= 10000"),
          names_file=False, params={"horizon": 10**400}),
        c("columns_wrong_type", _bytes_file("ok.csv", good.encode()),
          ("dataset.params.feature_columns", "list of column names"), names_file=False,
          params={"feature_columns": {"temp": 1}}),
        c("flag_wrong_type", _bytes_file("ok.csv", good.encode()),
          ("dataset.params.use_target_history", "true or false"), names_file=False,
          params={"use_target_history": "yes"}),
        c("unknown_delimiter", _bytes_file("ok.csv", good.encode()), ("dataset.params.delimiter", "one of"),
          names_file=False, params={"delimiter": "x"}),
        c("unknown_param", _bytes_file("ok.csv", good.encode()), ("dataset.params.colour", "parameter of"),
          names_file=False, params={"colour": "red"}),
        c("path_wrong_type", _missing("unused.csv"), ("dataset.params.path", "text"), names_file=False,
          params={"path": 5}),
        c("path_blank", _missing("unused.csv"), ("dataset.params.path", "path"), names_file=False,
          params={"path": "   "}),
        c("folder", _folder("folder.csv"), ("folder",)),
        c("missing", _missing("nowhere.csv"), ("not found",)),
    ]


# --- text -----------------------------------------------------------------------------------


def good_text() -> str:
    return ("The rain in the valley fell on the fields, and the river rose. " * 12).strip() + "\n"


def text_cases() -> list[Hostile]:
    good = good_text()
    accented = "Café au lait, crème brûlée, déjà vu. " * 20
    latin1 = ("Line one is plain.\n" + accented).encode("latin-1")
    cut_utf8 = accented.encode("utf-8")
    # Cut in the middle of the two bytes of an "é": a file copied or downloaded half way.
    cut = cut_utf8.index("é".encode(), len(cut_utf8) // 2) + 1
    controls = ("".join(chr(i) for i in range(1, 32) if chr(i) not in "\n\r\t\f") * 30).encode()
    c = Hostile
    return [
        c("empty", _bytes_file("empty.txt", b""), ("empty",)),
        c("whitespace", _bytes_file("blank.txt", b" \n\n \t "), ("empty",)),
        c("binary", _bytes_file("binary.txt", junk_bytes()), ("binary",)),
        c("binary_no_nul", _bytes_file("noise.txt", junk_bytes(nul=False)), ("not utf-8",)),
        c("control_characters", _bytes_file("controls.txt", controls), ("binary", "control characters")),
        c("utf16_bom", _bytes_file("utf16.txt", good.encode("utf-16")), ("utf-16", "utf-8")),
        c("utf16_no_bom", _bytes_file("utf16le.txt", good.encode("utf-16-le")), ("utf-16", "utf-8")),
        c("utf32", _bytes_file("utf32.txt", codecs.BOM_UTF32_LE + good.encode("utf-32-le")),
          ("utf-8",)),
        c("latin1", _bytes_file("latin1.txt", latin1), ("not utf-8", "line 2", "latin-1")),
        c("truncated_in_character", _bytes_file("cut.txt", cut_utf8[:cut]), ("not utf-8", "line 1")),
        c("shorter_than_window", _bytes_file("short.txt", b"Too short."), ("10 characters", "window of 40")),
        c("window_wrong_type", _bytes_file("ok.txt", good.encode()), ("dataset.params.window", "whole number"),
          names_file=False, params={"window": "many"}),
        c("window_infinite", _bytes_file("ok.txt", good.encode()), ("dataset.params.window", "whole number"),
          names_file=False, params={"window": float("inf")}),
        c("window_1e308", _bytes_file("ok.txt", good.encode()), ("dataset.params.window", "<= 2000"),
          names_file=False, params={"window": 1e308}),
        c("vocabulary_too_small", _bytes_file("ok.txt", good.encode()),
          ("dataset.params.max_vocabulary", ">= 10"), names_file=False, params={"max_vocabulary": 3}),
        c("flag_wrong_type", _bytes_file("ok.txt", good.encode()), ("dataset.params.lowercase", "true or false"),
          names_file=False, params={"lowercase": "yes"}),
        c("source_wrong_type", _missing("unused.txt"), ("dataset.params.source", "text"), names_file=False,
          params={"source": ["a.txt"]}),
        c("unknown_builtin", _missing("unused.txt"), ("dataset.params.source", "builtin:recurrence"),
          names_file=False, params={"source": "builtin:no-such-text"}),
        c("folder", _folder("folder.txt"), ("folder",)),
        c("missing", _missing("nowhere.txt"), ("not found",)),
    ]


# --- project JSON ---------------------------------------------------------------------------


def good_project_json() -> str:
    return json.dumps({
        "schema_version": 1,
        "name": "Café forecast",
        "dataset": {"task": "cooking", "params": {"days": 5, "samples": 40}, "validation_split": 0.25,
                    "seed": 3},
        "model": {"cell": "GRU", "io_mode": "many_to_many", "units": 8},
        "training": {"epochs": 2, "batch_size": 8, "learning_rate": 0.01},
    }, indent=2, ensure_ascii=False)


def _project_with(section: str | None, key: str, raw_value: str) -> bytes:
    """The good project with one value replaced by raw JSON text (which may be NaN or 1e400)."""
    data = json.loads(good_project_json())
    node = data if section is None else data[section]
    node[key] = "@@VALUE@@"
    return json.dumps(data).replace('"@@VALUE@@"', raw_value).encode()


def project_cases() -> list[Hostile]:
    good = good_project_json()
    c = Hostile
    p = _project_with
    return [
        c("empty", _bytes_file("empty.json", b""), ("empty",)),
        c("whitespace", _bytes_file("blank.json", b"  \n\n"), ("not valid json", "line")),
        c("truncated", _bytes_file("truncated.json", good.encode()[: len(good.encode()) // 2]),
          ("not valid json", "line")),
        c("binary", _bytes_file("binary.json", junk_bytes()), ("not utf-8",)),
        c("zip", _bytes_file("model.json", b"PK\x03\x04" + junk_bytes(64)), ("zip",)),
        c("utf16", _bytes_file("utf16.json", good.encode("utf-16")), ("not utf-8",)),
        c("latin1", _bytes_file("latin1.json", good.encode("latin-1")), ("not utf-8",)),
        c("nested_too_deep", _bytes_file("deep.json", b"[" * 200_000), ("nested too deeply",)),
        c("top_level_list", _bytes_file("list.json", b"[1, 2]"), ("project", "json object")),
        c("top_level_null", _bytes_file("null.json", b"null"), ("project", "json object")),
        c("overflow_epochs", _bytes_file("p.json", p("training", "epochs", "1e400")),
          ("training.epochs", "whole number", "inf")),
        c("overflow_learning_rate", _bytes_file("p.json", p("training", "learning_rate", "1e400")),
          ("training.learning_rate", "finite number")),
        c("nan_learning_rate", _bytes_file("p.json", p("training", "learning_rate", "NaN")),
          ("training.learning_rate", "finite number", "nan")),
        c("infinity_clip", _bytes_file("p.json", p("training", "clip_value", "-Infinity")),
          ("training.clip_value", "finite number")),
        c("huge_split", _bytes_file("p.json", p("dataset", "validation_split", "1e308")),
          ("dataset.validation_split", "[0, 0.9]")),
        c("big_int_learning_rate", _bytes_file("p.json", p("training", "learning_rate", BIG_INT_LITERAL)),
          ("training.learning_rate", "finite number")),
        c("big_int_split", _bytes_file("p.json", p("dataset", "validation_split", BIG_INT_LITERAL)),
          ("dataset.validation_split", "finite number")),
        c("big_int_float_param", _bytes_file("p.json", json.dumps(
            {"dataset": {"task": "sine", "params": {"noise": "@@"}}}).replace('"@@"', BIG_INT_LITERAL).encode()),
          ("dataset.params.noise", "finite number")),
        c("huge_int_literal", _bytes_file("p.json", p("model", "units", HUGE_INT_LITERAL)),
          ("number", "digits")),
        c("units_text", _bytes_file("p.json", p("model", "units", '"many"')), ("model.units", "whole number", "many")),
        c("epochs_fraction", _bytes_file("p.json", p("training", "epochs", "3.5")),
          ("training.epochs", "whole number", "3.5")),
        c("params_list", _bytes_file("p.json", p("dataset", "params", "[]")),
          ("dataset.params", "object of task parameters")),
        c("dataset_list", _bytes_file("p.json", p(None, "dataset", "[]")), ("dataset", "an object")),
        c("model_null", _bytes_file("p.json", p(None, "model", "null")), ("model", "an object")),
        c("name_number", _bytes_file("p.json", p(None, "name", "5")), ("name", "text")),
        c("flag_text", _bytes_file("p.json", p("model", "bidirectional", '"yes"')),
          ("model.bidirectional", "true or false")),
        c("task_list", _bytes_file("p.json", p("dataset", "task", '["csv"]')), ("dataset.task", "csv")),
        c("task_unknown", _bytes_file("p.json", p("dataset", "task", '"stocks"')), ("dataset.task", "cooking")),
        c("cell_unknown", _bytes_file("p.json", p("model", "cell", '"Transformer"')), ("model.cell", "lstm")),
        c("mode_unsupported", _bytes_file("p.json", p("model", "io_mode", '"one_to_many"')),
          ("model.io_mode", "supports")),
        c("param_wrong_type", _bytes_file("p.json", p("dataset", "params", '{"days": "seven"}')),
          ("dataset.params.days", "whole number")),
        c("unknown_field", _bytes_file("p.json", p(None, "modle", "{}")), ("modle", "no such field")),
        c("unknown_nested_field", _bytes_file("p.json", p("model", "celll", '"GRU"')),
          ("model.celll", "no such field")),
        c("schema_newer", _bytes_file("p.json", p(None, "schema_version", "99")), ("schema_version", "newer")),
        c("schema_zero", _bytes_file("p.json", p(None, "schema_version", "0")), ("schema_version", "1 or more")),
        c("schema_text", _bytes_file("p.json", p(None, "schema_version", '"1"')),
          ("schema_version", "whole number")),
        c("folder", _folder("folder.json"), ("folder",)),
        c("missing", _missing("nowhere.json"), ("not found",)),
    ]


# --- bundles and .keras files ---------------------------------------------------------------


def rewrite_zip(source: Path, target: Path, replace: dict[str, bytes | None]) -> Path:
    """Copy a zip, replacing (bytes) or dropping (None) members; new names are added."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for name in zin.namelist():
            if name in replace:
                if replace[name] is not None:
                    zout.writestr(name, replace[name])
            else:
                zout.writestr(name, zin.read(name))
        for name, data in replace.items():
            if name not in zin.namelist() and data is not None:
                zout.writestr(name, data)
    return target


def _zip_member_json(source: Path, member: str) -> Any:
    with zipfile.ZipFile(source) as zf:
        return json.loads(zf.read(member))


def _derived(name: str, source: Path, change: Callable[[Path], dict[str, bytes | None]]) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        return rewrite_zip(source, folder / name, change(source))

    return write


def _member_edit(member: str, edit: Callable[[Any], Any], *, raw: str | None = None) -> Callable[[Path], dict]:
    """Replace a JSON member by ``edit(parsed)``; ``raw`` text then replaces the "@@" placeholder."""
    def change(source: Path) -> dict[str, bytes | None]:
        text = json.dumps(edit(_zip_member_json(source, member)))
        if raw is not None:
            text = text.replace('"@@"', raw)
        return {member: text.encode()}

    return change


def _set(key: str, value: Any) -> Callable[[Any], Any]:
    def edit(data: dict) -> dict:
        section, _, leaf = key.rpartition(".")
        node = data[section] if section else data
        node[leaf] = value
        return data

    return edit


def _drop(key: str) -> Callable[[Any], Any]:
    def edit(data: dict) -> dict:
        data.pop(key)
        return data

    return edit


def _flip_byte(data: bytes, offset: int) -> bytes:
    return data[:offset] + bytes([data[offset] ^ 0xFF]) + data[offset + 1:]


def _damaged_member(source: Path) -> bytes:
    """The bundle with one byte of the stored model changed in place: its CRC no longer matches."""
    raw = source.read_bytes()
    with zipfile.ZipFile(source) as zf:
        info = zf.getinfo("model.keras")
    # Local header: 30 bytes + name + extra, then the stored data.
    name_len = int.from_bytes(raw[info.header_offset + 26:info.header_offset + 28], "little")
    extra_len = int.from_bytes(raw[info.header_offset + 28:info.header_offset + 30], "little")
    start = info.header_offset + 30 + name_len + extra_len
    return _flip_byte(raw, start + info.compress_size // 2)


def bundle_cases(good: Path) -> list[Hostile]:
    """Damaged and foreign variants of the valid bundle ``good`` (see lambda_bundle for the Lambda)."""
    c = Hostile
    d = _derived
    m = _member_edit
    model_keras = lambda src: zipfile.ZipFile(src).read("model.keras")  # noqa: E731
    return [
        c("empty", _bytes_file("empty.rnnlab", b""), ("empty",)),
        c("truncated", _bytes_file("truncated.rnnlab", lambda: good.read_bytes()[: good.stat().st_size // 2]),
          ("truncated or damaged",)),
        c("binary", _bytes_file("binary.rnnlab", junk_bytes()), ("not a zip archive",)),
        c("checksum", _bytes_file("crc.rnnlab", lambda: _damaged_member(good)), ("damaged", "model.keras")),
        c("project_json", _bytes_file("project.rnnlab", good_project_json().encode()), ("json", "project file")),
        c("hdf5", _bytes_file("old.rnnlab", b"\x89HDF\r\n\x1a\n" + junk_bytes(256)), ("hdf5",)),
        c("foreign_zip", _bytes_file("photos.rnnlab", lambda: _zip_bytes({"a.jpg": b"jpeg"})),
          ("without manifest.json",)),
        c("plain_keras", _bytes_file("plain.rnnlab", lambda: model_keras(good)), ("plain keras model",)),
        c("manifest_latin1", d("m.rnnlab", good, lambda s: {"manifest.json": '{"format": "rnnlab-bundle", '
                                                                              '"note": "café"}'.encode("latin-1")}),
          ("manifest.json", "not utf-8")),
        c("manifest_list", d("m.rnnlab", good, lambda s: {"manifest.json": b"[1, 2]"}), ("manifest.json", "format")),
        c("manifest_no_format", d("m.rnnlab", good, m("manifest.json", _drop("format"))),
          ("manifest.json", "format", "rnnlab-bundle")),
        c("manifest_newer", d("m.rnnlab", good, m("manifest.json", _set("version", 7))),
          ("version 7", "newer")),
        c("manifest_version_text", d("m.rnnlab", good, m("manifest.json", _set("version", "1"))),
          ("manifest.json", "version", "whole number")),
        c("manifest_version_overflow", d("m.rnnlab", good, m("manifest.json", _set("version", "@@"), raw="1e400")),
          ("manifest.json", "version", "whole number")),
        c("manifest_huge_int", d("m.rnnlab", good, m("manifest.json", _set("version", "@@"), raw=HUGE_INT_LITERAL)),
          ("manifest.json", "number", "digits")),
        c("project_utf16", d("p.rnnlab", good, lambda s: {"project.json": zipfile.ZipFile(s).read(
            "project.json").decode().encode("utf-16")}), ("project.json", "not utf-8")),
        c("project_truncated", d("p.rnnlab", good, lambda s: {"project.json": zipfile.ZipFile(s).read(
            "project.json")[:40]}), ("project.json", "not valid json")),
        c("project_units_text", d("p.rnnlab", good, m("project.json", _set("model.units", "many"))),
          ("project.json", "model.units", "whole number")),
        c("project_epochs_fraction", d("p.rnnlab", good, m("project.json", _set("training.epochs", 3.5))),
          ("project.json", "training.epochs", "whole number")),
        c("project_nan", d("p.rnnlab", good, m("project.json", _set("training.learning_rate", "@@"), raw="NaN")),
          ("project.json", "training.learning_rate", "finite")),
        c("project_big_int", d("p.rnnlab", good, m("project.json", _set("training.learning_rate", "@@"),
                                                   raw=BIG_INT_LITERAL)),
          ("project.json", "training.learning_rate", "finite")),
        c("project_params_list", d("p.rnnlab", good, m("project.json", _set("dataset.params", []))),
          ("project.json", "dataset.params")),
        c("project_schema_newer", d("p.rnnlab", good, m("project.json", _set("schema_version", 99))),
          ("project.json", "schema_version", "newer")),
        c("project_list", d("p.rnnlab", good, lambda s: {"project.json": b"[]"}), ("project.json", "json object")),
        c("info_missing_field", d("i.rnnlab", good, m("data_info.json", _drop("input_shape"))),
          ("data_info.json", "input_shape")),
        c("info_list", d("i.rnnlab", good, lambda s: {"data_info.json": b"[1, 2, 3]"}), ("data_info.json",)),
        c("info_shape_text", d("i.rnnlab", good, m("data_info.json", _set("input_shape", "many"))),
          ("data_info.json", "input_shape")),
        c("info_shape_overflow", d("i.rnnlab", good, m("data_info.json", _set("input_shape", ["@@"]),
                                                       raw="1e400")),
          ("data_info.json", "input_shape")),
        c("info_unknown_field", d("i.rnnlab", good, m("data_info.json", _set("colour", "red"))),
          ("data_info.json", "colour")),
        c("info_kind_number", d("i.rnnlab", good, m("data_info.json", _set("kind", 3))),
          ("data_info.json", "kind")),
        c("history_list", d("h.rnnlab", good, lambda s: {"history.json": b"[1, 2]"}), ("history.json",)),
        c("history_text_values", d("h.rnnlab", good, m("history.json", _set("batch_loss", "abc"))),
          ("history.json", "batch_loss")),
        c("history_big_int", d("h.rnnlab", good, m("history.json", _set("batch_loss", ["@@"]),
                                                   raw=BIG_INT_LITERAL)),
          ("history.json", "batch_loss")),
        c("no_project", d("x.rnnlab", good, lambda s: {"project.json": None}), ("lacks project.json",)),
        c("no_info", d("x.rnnlab", good, lambda s: {"data_info.json": None}), ("lacks data_info.json",)),
        c("no_history", d("x.rnnlab", good, lambda s: {"history.json": None}), ("lacks history.json",)),
        c("no_model", d("x.rnnlab", good, lambda s: {"model.keras": None}), ("lacks model.keras",)),
        c("model_junk", d("x.rnnlab", good, lambda s: {"model.keras": junk_bytes()}),
          ("model.keras", "not a valid keras model")),
        c("model_truncated", d("x.rnnlab", good, lambda s: {"model.keras": model_keras(s)[:3000]}),
          ("model.keras", "not a valid keras model")),
        c("model_without_config", d("x.rnnlab", good, lambda s: {"model.keras": _zip_bytes({"w.h5": b"x"})}),
          ("model.keras", "config.json")),
        c("model_without_weights", d("x.rnnlab", good, lambda s: {"model.keras": _drop_members(
            model_keras(s), "model.weights.h5")}), ("model.keras", "could not be loaded")),
        c("folder", _folder("folder.rnnlab"), ("folder",)),
        c("missing", _missing("nowhere.rnnlab"), ("not found",)),
    ]


def _zip_bytes(members: dict[str, bytes]) -> bytes:
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def _zip_edit(blob: bytes, replace: dict[str, bytes | None]) -> bytes:
    import io

    members = {}
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        for name in zf.namelist():
            members[name] = zf.read(name)
    for name, data in replace.items():
        if data is None:
            members.pop(name, None)
        else:
            members[name] = data
    return _zip_bytes(members)


def _drop_members(blob: bytes, *names: str) -> bytes:
    return _zip_edit(blob, {name: None for name in names})


def _keras_config_edit(edit: Callable[[dict], Any], raw: str | None = None) -> Callable[[Path], bytes]:
    """The .keras file with its config.json edited; ``raw`` text then replaces the "@@" placeholder."""
    def make(good: Path) -> bytes:
        config = json.loads(zipfile.ZipFile(good).read("config.json"))
        edit(config)
        text = json.dumps(config)
        if raw is not None:
            text = text.replace('"@@"', raw)
        return _zip_edit(good.read_bytes(), {"config.json": text.encode()})

    return make


def _first_layer_of(config: dict, class_name: str) -> dict:
    for layer in config["config"]["layers"]:
        if layer["class_name"] == class_name:
            return layer
    raise LookupError(f"no {class_name} layer in the model")


def keras_cases(good: Path) -> list[Hostile]:
    """Damaged and foreign variants of the valid plain .keras file ``good``: a model with a Dense
    layer named "head" (see lambda_keras for the Lambda cases)."""
    c = Hostile

    def from_good(name: str, make: Callable[[Path], bytes]) -> Callable[[Path], Path]:
        return _bytes_file(name, lambda: make(good))

    def dense_set(key: str, value: Any) -> Callable[[dict], Any]:
        return lambda config: _first_layer_of(config, "Dense")["config"].__setitem__(key, value)

    def unknown_class(config: dict) -> None:
        layer = _first_layer_of(config, "Dense")
        layer.update({"class_name": "FancyLayer", "module": "my_package.layers", "registered_name": None})

    def os_function(config: dict) -> None:
        # A function from outside Keras in place of the activation: must not be imported.
        _first_layer_of(config, "Dense")["config"]["activation"] = {
            "module": "os", "class_name": "function", "config": "system", "registered_name": "system"}

    return [
        c("empty", _bytes_file("empty.keras", b""), ("empty",)),
        c("truncated", from_good("truncated.keras", lambda g: g.read_bytes()[: g.stat().st_size // 2]),
          ("truncated or damaged",)),
        c("binary", _bytes_file("binary.keras", junk_bytes()), ("not a zip archive",)),
        c("hdf5", _bytes_file("legacy.keras", b"\x89HDF\r\n\x1a\n" + junk_bytes(256)), ("hdf5", "legacy")),
        c("json_text", _bytes_file("project.keras", good_project_json().encode()), ("json",)),
        c("foreign_zip", _bytes_file("photos.keras", lambda: _zip_bytes({"a.jpg": b"jpeg"})),
          ("not a keras model", "config.json")),
        c("config_utf16", from_good("enc.keras", lambda g: _zip_edit(g.read_bytes(), {
            "config.json": zipfile.ZipFile(g).read("config.json").decode().encode("utf-16")})),
          ("config.json", "not json")),
        c("config_truncated", from_good("cut.keras", lambda g: _zip_edit(g.read_bytes(), {
            "config.json": zipfile.ZipFile(g).read("config.json")[:100]})), ("config.json", "not json")),
        c("config_huge_int", from_good("big.keras", _keras_config_edit(dense_set("units", "@@"), raw=HUGE_INT_LITERAL)),
          ("config.json", "digits")),
        c("units_text", from_good("units.keras", _keras_config_edit(dense_set("units", "many"))),
          ("could not be loaded", "units=many")),
        c("units_overflow", from_good("inf.keras", _keras_config_edit(dense_set("units", "@@"), raw="1e400")),
          ("could not be loaded", "units=inf")),
        c("units_nan", from_good("nan.keras", _keras_config_edit(dense_set("units", "@@"), raw="NaN")),
          ("could not be loaded", "units=nan")),
        c("units_negative", from_good("neg.keras", _keras_config_edit(dense_set("units", -4))),
          ("could not be loaded", "units=-4")),
        c("unknown_class", from_good("custom.keras", _keras_config_edit(unknown_class)),
          ("custom class", "fancylayer")),
        c("outside_function", from_good("os.keras", _keras_config_edit(os_function)), ("system",)),
        c("no_config", from_good("nocfg.keras", lambda g: _drop_members(g.read_bytes(), "config.json")),
          ("config.json",)),
        c("no_weights", from_good("now.keras", lambda g: _drop_members(g.read_bytes(), "model.weights.h5")),
          ("could not be loaded",)),
        c("junk_weights", from_good("junkw.keras", lambda g: _zip_edit(g.read_bytes(), {
            "model.weights.h5": junk_bytes()})), ("could not be loaded",)),
        c("folder", _folder("folder.keras"), ("folder",)),
        c("missing", _missing("nowhere.keras"), ("not found",)),
    ]


# --- models that would run code -------------------------------------------------------------


def marker_function(marker: Path) -> Callable[[Any], Any]:
    """f(t) = t that also creates ``marker``: proof that code from a file ran if the file exists.

    Made by eval so the path is a constant inside the function's own code: Keras serialises a
    lambda's bytecode, and its defaults/closure would not survive (the path must be in the code).
    """
    return eval(f"lambda t: (__import__('pathlib').Path({str(marker)!r}).touch(), t)[1]")  # noqa: S307


def lambda_keras(path: Path, marker: Path, *, nested: bool = False) -> Path:
    """Save a real Keras model with a Lambda layer (inside a nested Sequential if ``nested``)."""
    import keras

    inputs = keras.Input((3,), name="sequence")
    layer = keras.layers.Lambda(marker_function(marker), name="evil")
    if nested:
        inner = keras.Sequential([keras.Input((3,)), layer, keras.layers.Dense(3, name="inner_dense")],
                                 name="inner")
        hidden = inner(inputs)
    else:
        hidden = layer(inputs)
    model = keras.Model(inputs, keras.layers.Dense(1, name="head")(hidden))
    model.save(path)
    # Building the model called the function once, in this process: that proves nothing.
    marker.unlink(missing_ok=True)
    return path


def lambda_activation_keras(good: Path, path: Path, marker: Path) -> Path:
    """The plain model ``good`` with its Dense activation replaced by a serialised Python lambda
    (the bytecode, marshalled and base64-encoded, as Keras' own serialisation writes it)."""
    code = base64.encodebytes(marshal.dumps(marker_function(marker).__code__)).decode("ascii")

    def edit(config: dict) -> None:
        _first_layer_of(config, "Dense")["config"]["activation"] = {
            "class_name": "__lambda__", "config": {"value": [code, None, None]}}

    path.write_bytes(_keras_config_edit(edit)(good))
    return path


def lambda_bundle(good_bundle: Path, lambda_model_file: Path, path: Path) -> Path:
    """A bundle with a valid manifest and project whose model.keras is the given Lambda model."""
    return rewrite_zip(good_bundle, path, {"model.keras": lambda_model_file.read_bytes()})


__all__ = [
    "Hostile", "csv_cases", "text_cases", "project_cases", "bundle_cases", "keras_cases",
    "good_csv_text", "good_text", "good_project_json", "junk_bytes", "rewrite_zip",
    "marker_function", "lambda_keras", "lambda_activation_keras", "lambda_bundle",
    "HUGE_INT_LITERAL", "BIG_INT_LITERAL",
]
