"""A TensorFlow child forked from the server starts with TensorFlow imported and its objects frozen."""

from __future__ import annotations

import sys

import pytest

from core.processes import child_context


def _report(conn) -> None:
    import gc

    keras_names = vars(sys.modules["keras"]) if "keras" in sys.modules else None
    conn.send({"keras imported": keras_names is not None,
               "keras tracked": any(tracked is keras_names for tracked in gc.get_objects()),
               "frozen": gc.get_freeze_count()})
    conn.close()


def test_a_child_starts_with_keras_imported_and_out_of_its_collector_s_reach():
    ctx = child_context()
    if ctx.get_start_method() != "forkserver":
        pytest.skip("children are spawned on this platform: nothing is preloaded")
    ours, theirs = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_report, args=(theirs,), name="child-start-report")
    child.start()
    theirs.close()
    try:
        assert ours.poll(120), "the child sent nothing"
        report = ours.recv()
    finally:
        child.join(30)
    # Imported once in the server; frozen there, so that the child's full collections do not
    # walk (and write to) the ~300,000 objects it shares with the server.
    assert report == {"keras imported": True, "keras tracked": False, "frozen": report["frozen"]}
    assert report["frozen"] > 100_000
