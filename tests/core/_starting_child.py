"""A ProcessTrainer whose training process never finishes starting, as one still importing
TensorFlow on a loaded machine (tens of seconds): for what Stop and close do meanwhile."""

from __future__ import annotations

import multiprocessing
import time

from core.runner import ProcessTrainer, _Child


def forever_starting_trainer(start_timeout_s: float = 30.0) -> ProcessTrainer:
    """Its child only sleeps and never reports ready. Forked, since it runs no TensorFlow: no
    import to pay. ``start_timeout_s``: how long a run waits before giving up on it."""
    trainer = ProcessTrainer(recycle_after_runs=1000, start_timeout_s=start_timeout_s)
    context = multiprocessing.get_context("fork")

    def spawn() -> _Child:
        parent_end, child_end = context.Pipe(duplex=True)
        process = context.Process(target=time.sleep, args=(600,), name="rnnlab-training-starting", daemon=True)
        process.start()
        child_end.close()
        running = context.Event()
        running.set()
        return _Child(process=process, conn=parent_end, stop=context.Event(), running=running)

    trainer._spawn = spawn
    return trainer
