"""One error family for every problem a user can act on.

Anything raised as an ``RNNLabError`` is shown to the user as it is, so its message must name
the problem (the field, row, column or file) and what was expected. Anything else reaching the
top level is a bug and goes through the application's crash hook instead.
"""

from __future__ import annotations

import re
import traceback
from dataclasses import dataclass


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


class ExportError(RNNLabError):
    """A model cannot be written in a format another tool reads (ONNX, TensorBoard).

    ``details`` holds what the converter said (a traceback, its log), for a "Details" button.
    """

    def __init__(self, message: str, details: str = ""):
        super().__init__(message)
        self.details = details


class TrainingError(RNNLabError):
    """A run could not start or could not go on (impossible setting, no device, NaN)."""


class ProcessDiedError(TrainingError):
    """The child process doing the work (training, loading a file) ended without answering.

    ``exit_code`` is the process's exit status (negative: the signal that ended it, None when
    unknown). ``killed`` is true for SIGKILL, which on Linux is how the system ends a process
    when memory runs out.
    """

    def __init__(self, message: str, exit_code: int | None = None):
        super().__init__(message)
        self.exit_code = exit_code

    @property
    def killed(self) -> bool:
        return self.exit_code == -9  # -signal.SIGKILL; the signal module has no SIGKILL on Windows


class StoppedBeforeStartError(TrainingError):
    """Stop was asked while the training process was still starting (importing TensorFlow, which
    takes tens of seconds on a loaded machine): the run ends at once, before its first batch,
    and the process goes on starting for the next run."""


@dataclass(frozen=True)
class Failure:
    """Why a run or an action ended badly: one line for the user, the rest behind "Details".

    ``expected`` is true for an RNNLabError (the user can act on the message) and false for a bug
    or a library error, whose traceback goes into ``details``.
    """

    message: str
    details: str = ""
    expected: bool = True
    # The process doing the work was killed by the system (out of memory, usually): see ProcessDiedError.
    killed: bool = False
    # Not a failure but the user's stop, before the run began (StoppedBeforeStartError): nothing trained.
    stopped: bool = False

    @classmethod
    def from_exception(cls, exc: BaseException, *, prefix: str = "") -> Failure:
        if isinstance(exc, RNNLabError):
            return cls(prefix + str(exc), expected=True, killed=isinstance(exc, ProcessDiedError) and exc.killed,
                       stopped=isinstance(exc, StoppedBeforeStartError))
        summary = f"{type(exc).__name__}: {_own_words(exc)}"
        details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        return cls(prefix + summary, details=details, expected=False)

    def __str__(self) -> str:
        return self.message


_EAGER_OP_PREFIX = re.compile(r"^\{\{function_node [^}]*\}\}\s*")
_EAGER_OP_SUFFIX = re.compile(r"\s*\[Op:\w+\]( name:\s*\S*)?\s*$")


def _own_words(exc: BaseException, limit: int = 400) -> str:
    """The error's own words without the stack TensorFlow pastes into them.

    TensorFlow's "Graph execution error:" is followed by the graph's stack (indented lines), the
    real message, and "[[{{node ...}}]]": the unindented lines are the ones a user can read. An
    op that failed eagerly wraps its message in "{{function_node ...}}" and "[Op:Name] name: ".
    """
    lines = [line.rstrip() for line in str(exc).splitlines()]
    kept = [line for line in lines if line and not line[0].isspace() and not line.startswith("Detected at node")]
    text = " ".join(kept)
    text = _EAGER_OP_SUFFIX.sub("", _EAGER_OP_PREFIX.sub("", text)) or "no details"
    return text[:limit] + "..." if len(text) > limit else text
