"""What the fork server imports once, so that every child forked from it starts ready (see
``core.processes``). Importing only: nothing here may start TensorFlow's runtime (list devices,
create a tensor, set thread counts), which must happen in each child after the fork."""

import os

# Read by TensorFlow's C++ logging when it loads, which is now, in the server.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from core.native_chatter import native_stderr_held  # noqa: E402

with native_stderr_held():
    import keras  # noqa: F401
    import tensorflow  # noqa: F401

import core.runner_child  # noqa: E402,F401
import core.sweeps.run_trial  # noqa: E402,F401
