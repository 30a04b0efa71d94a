"""Reading the user's files: one wording for every way a file or its JSON cannot be used."""

from __future__ import annotations

import pytest

from core.errors import DatasetError, ModelFileError, SpecError
from core.files import loads_json, located, read_user_bytes, read_user_text


def test_a_missing_file_is_named(tmp_path):
    path = tmp_path / "gone.json"
    with pytest.raises(ModelFileError) as err:
        read_user_bytes(path, "project file", ModelFileError)
    assert str(err.value) == f"{path}: file not found."


def test_a_folder_is_not_a_file(tmp_path):
    with pytest.raises(DatasetError, match="is a folder, not a CSV file"):
        read_user_bytes(tmp_path, "CSV file", DatasetError)


def test_an_empty_file_says_it_holds_nothing(tmp_path):
    path = tmp_path / "empty.rnnlab"
    path.write_bytes(b"")
    with pytest.raises(ModelFileError, match=r"the model bundle is empty \(0 bytes\)"):
        read_user_bytes(path, "model bundle", ModelFileError)


def test_blank_text_is_empty_but_blank_bytes_are_read(tmp_path):
    path = tmp_path / "blank.txt"
    path.write_bytes(b" \n\t\n")
    assert read_user_bytes(path, "text file", DatasetError) == b" \n\t\n"
    with pytest.raises(DatasetError, match=r"the text file is empty \(only blank space\)"):
        read_user_text(path, "text file")


def test_text_comes_back_with_plain_newlines(tmp_path):
    path = tmp_path / "story.txt"
    path.write_bytes("\ufeffone\r\ntwo\rthree".encode())
    assert read_user_text(path, "text file") == "one\ntwo\nthree"


def test_broken_json_names_where_line_and_column():
    with pytest.raises(ModelFileError) as err:
        loads_json('{"name": "x",\n "model": }', "p.json", ModelFileError)
    assert str(err.value).startswith("p.json: not valid JSON (line 2 column 11: Expecting value")


def test_a_number_with_too_many_digits_is_refused_in_words():
    with pytest.raises(ModelFileError, match="p.json: not valid JSON .*too many digits"):
        loads_json('{"units": ' + "9" * 5000 + "}", "p.json", ModelFileError)


def test_deep_nesting_is_refused_in_words():
    with pytest.raises(DatasetError, match="nested too deeply"):
        loads_json("[" * 200_000, "data.json", DatasetError)


def test_a_spec_error_names_the_field_and_the_problem():
    with pytest.raises(SpecError) as err:
        loads_json('{"name": ', "project", SpecError)
    assert err.value.field == "project"
    assert str(err.value).startswith("project: expected valid JSON, received 'line 1 column 10")


def test_located_keeps_the_field_for_the_window():
    error = located(SpecError("model.units", 0, "a whole number from 1 to 4096"), "--set model.units=0")
    assert (error.field, error.value, error.expected) == ("model.units", 0, "a whole number from 1 to 4096")
    assert str(error) == "--set model.units=0: model.units: expected a whole number from 1 to 4096, received 0"
