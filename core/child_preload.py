"""What the fork server imports once, so that every child forked from it starts ready (see
``core.processes``). Importing only: nothing here may start TensorFlow's runtime (list devices,
create a tensor, set thread counts), which must happen in each child after the fork."""

import gc
import os

# Read by TensorFlow's C++ logging when it loads, which is now, in the server.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from core.native_chatter import native_stderr_held  # noqa: E402

with native_stderr_held():
    import keras  # noqa: F401
    import tensorflow  # noqa: F401

import core.runner_child  # noqa: E402,F401
import core.sweeps.run_trial  # noqa: E402,F401

# Every child forked from the server inherits these ~300,000 objects and keeps them for life.
# Frozen, the child's full collections skip them (a full collection right after these imports
# took 0.16 s and freed nothing) and leave their pages shared with the server instead of writing
# to them, which is why Python's documentation of gc.freeze suggests it before forking.
gc.freeze()
