"""TensorFlow's start-up chatter kept off the terminal of a command-line run and its children.

TF 2.21 writes absl banners ("All log messages before absl::InitializeLog()"), "Could not find
cuda drivers" and, on a machine without a GPU, "failed call to cuInit" straight to descriptor 2,
whatever TF_CPP_MIN_LOG_LEVEL says: when it is imported, and again in each process when its
runtime starts. None of it is meant for the user. While ``native_stderr_held`` is open,
descriptor 2 points at a scratch file; if the block fails, what was written is replayed, so a
real error still reaches the terminal. (The window sends descriptor 2 to a log file for its whole
life instead: desktop_app.native_log.)
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def native_stderr_held() -> Iterator[None]:
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):
        yield  # stderr is not a real file (embedded use): nothing to hold
        return
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            sink.seek(0)
            os.write(2, sink.read())
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)
