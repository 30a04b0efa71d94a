"""Sweeps on the local engine, through the command line and run_sweep: bundles, retries, stop and resume."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal

import pytest
from _sweeps import assert_rows_match_bundles, stop_at_the_first_epoch, tiny_sweep

from core.cli import main
from core.errors import RNNLabError
from core.sweeps import TrialEpoch, TrialFinished, TrialStarted, read_results, run_sweep, write_results


@pytest.fixture(scope="module")
def cli_sweep(tmp_path_factory):
    """``main.py sweep`` of the 2 x 2 grid, two trials at a time: (folder, spec, exit code, stdout)."""
    folder = tmp_path_factory.mktemp("cli_sweep")
    spec = tiny_sweep()
    spec.save(folder / "tiny.json")
    out = folder / "out"
    capture = _Capture()
    with capture:
        code = main(["sweep", str(folder / "tiny.json"), "--out", str(out), "--max-concurrent", "2", "--json"])
    return out, spec, code, capture.text


class _Capture:
    """stdout of the command, read through a pipe (capsys is function-scoped)."""

    def __enter__(self):
        import io
        import sys

        self._saved, sys.stdout = sys.stdout, io.StringIO()
        return self

    def __exit__(self, *exc):
        import sys

        self.text, sys.stdout = sys.stdout.getvalue(), self._saved


def test_a_grid_sweep_leaves_one_bundle_and_one_row_per_trial(cli_sweep):
    out, spec, code, stdout = cli_sweep
    assert code == 0, stdout
    _, rows = read_results(out)
    assert len(rows) == 4
    assert_rows_match_bundles(out, spec, rows)
    assert {(r.fields["model.cell"], r.fields["model.units"]) for r in rows} == {
        ("SimpleRNN", 2), ("SimpleRNN", 3), ("GRU", 2), ("GRU", 3)}
    assert all(r.flow_ratio is not None and r.flow_ratio > 0 and r.seconds > 0 for r in rows)


def test_the_json_line_names_the_best_trial_and_the_results(cli_sweep):
    out, spec, _, stdout = cli_sweep
    lines = stdout.strip().splitlines()
    assert any(line.startswith("[4/4] completed") for line in lines)
    summary = json.loads(lines[-1])
    _, rows = read_results(out)
    best = min(rows, key=lambda r: r.metrics["val_loss"])
    assert summary["trials"] == 4 and summary["completed"] == 4 and summary["failed"] == 0
    assert summary["best"]["fields"] == best.fields and summary["best"]["metric"] == "val_loss"
    assert summary["best"]["value"] == pytest.approx(best.metrics["val_loss"])
    assert os.path.isfile(summary["best"]["bundle"]) and os.path.isfile(summary["results"])


def test_resume_runs_only_the_missing_trials_and_a_killed_worker_s_trial_runs_again(cli_sweep, tmp_path):
    out, spec, _, _ = cli_sweep
    interrupted = tmp_path / "out"
    shutil.copytree(out, interrupted)
    _, rows = read_results(interrupted)
    write_results(interrupted, spec, rows[:2])  # as a sweep stopped after two trials leaves it
    with pytest.raises(RNNLabError, match="--resume"):
        run_sweep(spec, interrupted)
    started = []

    def kill_the_first_attempt(event):
        if isinstance(event, TrialStarted):
            started.append((event.trial.trial_id, event.attempt))
            if len(started) == 1:
                os.kill(event.pid, signal.SIGKILL)  # as the out-of-memory killer would

    results = run_sweep(spec, interrupted, resume=True, max_concurrent=1, on_event=kill_the_first_attempt)
    missing = sorted(r.trial_id for r in rows[2:])
    assert sorted({trial_id for trial_id, _ in started}) == missing
    killed = started[0][0]
    assert [attempt for trial_id, attempt in started if trial_id == killed] == [1, 2]
    assert [r.to_dict() for r in results[:2]] == [r.to_dict() for r in rows[:2]]
    assert {r.trial_id: r.attempts for r in results[2:]}[killed] == 2
    assert_rows_match_bundles(interrupted, spec, results)


def test_stop_ends_the_running_trial_within_a_batch_and_keeps_it(tmp_path):
    spec = tiny_sweep({"model.units": [2, 3], "training.epochs": [30]})
    stop, events, stop_after_the_first_epoch = stop_at_the_first_epoch()

    results = run_sweep(spec, tmp_path / "out", max_concurrent=1, on_event=stop_after_the_first_epoch,
                        stop_event=stop)
    assert len(results) == 1 and results[0].status == "stopped" and results[0].epochs < 30
    assert results[0].bundle and (tmp_path / "out" / results[0].bundle).is_file()
    assert sum(isinstance(e, TrialStarted) for e in events) == 1
    assert sum(isinstance(e, TrialFinished) for e in events) == 1
    assert events[-1].stopped


def test_asha_ends_the_trial_that_cannot_learn_at_its_rung_and_resume_counts_it_done(tmp_path):
    # One seed, so both start from the same weights and only the learning rate tells them apart at
    # epoch 1, the one rung of two epochs. One at a time: the good trial sets the bar first.
    spec = tiny_sweep({"training.learning_rate": [0.05, 1e-7]}, scheduler="asha")
    out = tmp_path / "out"
    events = []
    good, bad = results = run_sweep(spec, out, max_concurrent=1, on_event=events.append)
    logs = {r.trial_id: [e.logs for e in events if isinstance(e, TrialEpoch) and e.trial_id == r.trial_id]
            for r in results}
    assert (good.status, good.epochs, len(logs[good.trial_id])) == ("completed", 2, 2)
    assert (bad.status, bad.stop_reason, bad.epochs, bad.bundle) == ("stopped", "stopped", 1, None)
    assert bad.error == "stopped by the scheduler after epoch 1"
    assert len(logs[bad.trial_id]) == 1  # the batch it trained past the verdict is no epoch of its own
    assert bad.metrics["val_loss"] == logs[bad.trial_id][0]["val_loss"] > logs[good.trial_id][0]["val_loss"]
    assert [p.name for p in (out / "trials").iterdir()] == [f"{good.trial_id}.rnnlab"]
    with open(out / "results.csv", encoding="utf-8") as fh:
        table = {row["trial_id"]: row for row in csv.DictReader(fh)}
    assert table[good.trial_id]["status"] == "completed"
    assert (table[bad.trial_id]["status"], table[bad.trial_id]["epochs"], table[bad.trial_id]["error"]) == (
        "stopped", "1", bad.error)
    again = []
    resumed = run_sweep(spec, out, resume=True, on_event=again.append)
    assert [r.to_dict() for r in resumed] == [r.to_dict() for r in results]
    assert not any(isinstance(e, TrialStarted) for e in again)

    # Interrupted before the bad trial ran: resumed, it is judged against the good trial's kept
    # bundle (its epoch-1 metric at the rung), not first at an empty rung, and stopped again.
    write_results(out, spec, [good])
    rerun = run_sweep(spec, out, resume=True)
    assert rerun[0].to_dict() == good.to_dict()
    assert (rerun[1].status, rerun[1].epochs, rerun[1].error) == ("stopped", 1, bad.error)


def test_a_bad_sweep_exits_with_2_before_any_trial(tmp_path, capsys):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({**tiny_sweep().to_dict(), "grid": {"model.cel": ["LSTM"]}}))
    assert main(["sweep", str(path), "--out", str(tmp_path / "out")]) == 2
    assert "grid.model.cel" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
