"""TensorFlow's native start-up lines stay off a command-line run's terminal, unless something fails."""

from __future__ import annotations

import os

import pytest

from core.native_chatter import native_stderr_held


def test_what_native_code_writes_to_descriptor_2_is_held(capfd):
    with native_stderr_held():
        os.write(2, b"I0000 cudart_stub.cc:31] Could not find cuda drivers on your machine\n")
    os.write(2, b"error: the app's own line\n")
    assert capfd.readouterr().err == "error: the app's own line\n"


def test_a_failure_inside_replays_what_was_held(capfd):
    with pytest.raises(ImportError), native_stderr_held():
        os.write(2, b"the native reason for the failure\n")
        raise ImportError("libtensorflow_framework.so.2: cannot open shared object file")
    assert capfd.readouterr().err == "the native reason for the failure\n"
