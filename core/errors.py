"""One error family for every problem a user can act on.

Anything raised as an ``RNNLabError`` is shown to the user as it is, so its message must name
the problem (the field, row, column or file) and what was expected. Anything else reaching the
top level is a bug and goes through the application's crash hook instead.
"""

from __future__ import annotations


class RNNLabError(Exception):
    """An expected problem with the user's input or settings."""


class SpecError(RNNLabError):
    """A project field holds a value that cannot be used."""

    def __init__(self, field: str, value: object, expected: str):
        self.field = field
        self.value = value
        self.expected = expected
        super().__init__(f"{field}: expected {expected}, received {value!r}")


class DatasetError(RNNLabError):
    """A data file or dataset setting cannot produce training sequences."""


class ModelFileError(RNNLabError):
    """A model or project file is missing, corrupt, truncated or not ours."""


class TrainingError(RNNLabError):
    """A run could not start or could not go on (impossible setting, no device, NaN)."""
