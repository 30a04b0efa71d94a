"""A sweep's output folder: ``sweep.json`` (the spec), ``results.json`` and ``results.csv`` (one row
per trial) and ``trials/`` (one bundle per trial).

The results are rewritten, atomically, after every trial that ends, so a sweep that was
interrupted keeps what finished and a folder always reopens (``read_results``). Bundle paths are
stored relative to the folder, so the folder can be moved or copied as a whole.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from core.atomic import atomic_write
from core.errors import ModelFileError
from core.files import loads_json, read_user_bytes
from core.sweeps.spec import SweepSpec

SPEC_FILE, RESULTS_JSON, RESULTS_CSV, TRIALS_DIR = "sweep.json", "results.json", "results.csv", "trials"
STATUSES = ("completed", "failed", "stopped")
RESULTS_VERSION = 1


@dataclass
class TrialResult:
    trial_id: str
    fields: dict[str, Any]
    seed: int
    status: str  # one of STATUSES
    metrics: dict[str, float] = field(default_factory=dict)  # final values, as the run's own summary
    # Gradient flow of the last epoch, first step over last step (core.diagnostics.flow_verdict).
    flow_ratio: float | None = None
    seconds: float = 0.0
    bundle: str | None = None  # relative to the sweep's folder, or absolute
    error: str = ""
    attempts: int = 1
    epochs: int = 0
    stop_reason: str = ""  # core.history.STOP_REASONS, or "" when the run never started

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["metrics"] = {k: _json_number(v) for k, v in self.metrics.items()}
        data["flow_ratio"] = _json_number(self.flow_ratio)
        return data

    @classmethod
    def from_dict(cls, data: Any) -> TrialResult:
        if not isinstance(data, Mapping) or not {"trial_id", "fields", "seed", "status"} <= set(data):
            raise ValueError(f"a trial row needs trial_id, fields, seed and status, received {data!r:.120}")
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["metrics"] = {k: math.nan if v is None else float(v) for k, v in (data.get("metrics") or {}).items()}
        return cls(**values)


def bundle_path(out_dir: str | os.PathLike, result: TrialResult) -> Path | None:
    """Where a trial's bundle is on this machine (None for a trial that left none)."""
    if not result.bundle:
        return None
    path = Path(result.bundle)
    return path if path.is_absolute() else Path(out_dir) / path


def write_results(out_dir: str | os.PathLike, spec: SweepSpec, results: Sequence[TrialResult]) -> None:
    """Write sweep.json, results.json and results.csv into ``out_dir`` (created if missing), atomically."""
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelFileError(f"{out}: cannot create the sweep's folder: {exc.strerror or exc}.") from None
    spec.save(out / SPEC_FILE)
    document = {
        "schema_version": RESULTS_VERSION, "sweep": spec.name, "metric": spec.metric, "mode": spec.mode,
        "fields": spec.fields, "trials": [r.to_dict() for r in results],
    }
    text = json.dumps(document, indent=1, default=str) + "\n"
    atomic_write(out / RESULTS_JSON, lambda fh: fh.write(text.encode("utf-8")), what="sweep results")
    table = _csv_text(spec, results)
    atomic_write(out / RESULTS_CSV, lambda fh: fh.write(table.encode("utf-8")), what="sweep results table")


def read_results(out_dir: str | os.PathLike) -> tuple[SweepSpec, list[TrialResult]]:
    """The spec and the rows of a sweep's folder; a folder whose sweep has not finished a trial has none."""
    out = Path(out_dir)
    if not (out / SPEC_FILE).is_file():
        raise ModelFileError(f"{out}: not a sweep folder: it has no {SPEC_FILE}.")
    spec = SweepSpec.load(out / SPEC_FILE)
    path = out / RESULTS_JSON
    if not path.exists():
        return spec, []
    data = loads_json(read_user_bytes(path, "sweep results", ModelFileError).decode("utf-8", "replace"),
                      str(path), ModelFileError)
    rows = data.get("trials") if isinstance(data, Mapping) else None
    if not isinstance(rows, list):
        raise ModelFileError(f"{path}: not sweep results: expected an object with a list of trials.")
    try:
        return spec, [TrialResult.from_dict(row) for row in rows]
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"{path}: not sweep results: {exc}") from None


def metric_value(result: TrialResult, metric: str) -> float:
    value = result.metrics.get(metric, math.nan)
    return float(value) if value is not None else math.nan


def best_result(spec: SweepSpec, results: Iterable[TrialResult]) -> TrialResult | None:
    """The completed trial with the best finite ``spec.metric`` (None when there is none)."""
    ranked = [r for r in results if r.status == "completed" and math.isfinite(metric_value(r, spec.metric))]
    if not ranked:
        return None
    pick = min if spec.mode == "min" else max
    return pick(ranked, key=lambda r: metric_value(r, spec.metric))


def _csv_text(spec: SweepSpec, results: Sequence[TrialResult]) -> str:
    metric_names = [spec.metric] + sorted({k for r in results for k in r.metrics} - {spec.metric})
    varied = spec.fields
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["trial_id", *varied, "seed", "status", *metric_names, "flow_ratio", "seconds", "epochs",
                     "bundle", "attempts", "error"])
    for r in results:
        writer.writerow([r.trial_id, *(_cell(r.fields.get(name)) for name in varied), r.seed, r.status,
                         *(_cell(r.metrics.get(name)) for name in metric_names), _cell(r.flow_ratio),
                         f"{r.seconds:.2f}", r.epochs, r.bundle or "", r.attempts, r.error])
    return buffer.getvalue()


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return repr(value) if isinstance(value, float) else str(value)


def _json_number(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(value)
