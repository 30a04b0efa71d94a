"""Settings for every test process and every process a test starts (training children, the CLI).

The suite runs in two pytest workers on two cores, and most window tests train in a child process
beside them. TensorFlow's default pools (a thread per core for the work inside one op, as many for
running ops side by side) would then put several times as many busy threads as cores on the
machine, where the tests' tiny models gain nothing from threads and lose time to the switching:
measured, the CPU-heavy test_training.py took 89 s instead of 137 s with one thread of each. The
variables are read by TensorFlow when it starts, so they are set before anything imports it, and
children inherit them. The app itself keeps TensorFlow's defaults.
"""

import os

for _name in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
