import json

import pytest

from core.errors import SpecError
from core.specs import SCHEMA_VERSION, DatasetSpec, ModelSpec, Project, TrainingSpec


def test_project_round_trips_through_json():
    project = Project(
        name="week",
        dataset=DatasetSpec(task="cooking", params={"days": 10}, validation_split=0.25, seed=3),
        model=ModelSpec(cell="GRU", units=16, layers=2),
        training=TrainingSpec(optimizer="rmsprop", learning_rate=0.003, clip_mode="global_norm"),
    )
    again = Project.from_json(project.to_json())
    assert again == project
    assert json.loads(project.to_json())["schema_version"] == SCHEMA_VERSION


@pytest.mark.parametrize(
    "field, value, expected_words",
    [
        ("model.cell", "Transformer", "SimpleRNN, LSTM, GRU"),
        ("model.units", 0, "from 1"),
        ("training.learning_rate", -1, "(0, 10]"),
        ("training.clip_mode", "sometimes", "none, norm, global_norm, value"),
        ("training.device", "tpu", "gpu:N"),
        ("model.dropout", 1.0, "[0, 1)"),
    ],
)
def test_bad_field_message_names_field_value_and_expectation(field, value, expected_words):
    with pytest.raises(SpecError) as info:
        Project().with_field(field, value)
    message = str(info.value)
    assert message.startswith(field)
    assert repr(value) in message
    assert expected_words in message


def test_unknown_field_and_newer_schema_are_refused():
    data = Project().to_dict()
    data["model"]["colour"] = "red"
    with pytest.raises(SpecError, match="model.colour"):
        Project.from_dict(data)
    data = Project().to_dict()
    data["schema_version"] = SCHEMA_VERSION + 1
    with pytest.raises(SpecError, match="newer RNN Lab"):
        Project.from_dict(data)


def test_broken_json_names_line_and_column():
    with pytest.raises(SpecError, match="line 1 column"):
        Project.from_json('{"name": ')


def test_command_line_override_parses_values():
    project = Project().with_override("model.cell=GRU").with_override("training.epochs=5")
    project = project.with_override("model.bidirectional=true")
    assert (project.model.cell, project.training.epochs, project.model.bidirectional) == ("GRU", 5, True)
    with pytest.raises(SpecError, match="FIELD=VALUE"):
        Project().with_override("model.cell")
    with pytest.raises(SpecError, match="existing field"):
        Project().with_override("model.colour=red")
