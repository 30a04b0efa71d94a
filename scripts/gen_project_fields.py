"""Write docs/PROJECT_FIELDS.md from the specs and the task registry, so it cannot drift.

    python scripts/gen_project_fields.py           # rewrite the file
    python scripts/gen_project_fields.py --check   # exit 1 if the committed file is out of date

Defaults come from the spec dataclasses, accepted values from the validators themselves (each
field is given an impossible value and the validator's "expected ..." text is shown), task
parameters from their ParamSpecs. Only the one-line descriptions of the spec fields are written
here; a new field without one stops the script, so it cannot go undocumented.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.datasets import list_tasks  # noqa: E402
from core.errors import SpecError  # noqa: E402
from core.specs import IO_MODE_TITLES, SCHEMA_VERSION, DatasetSpec, ModelSpec, Project, TrainingSpec  # noqa: E402

OUTPUT = ROOT / "docs" / "PROJECT_FIELDS.md"
EXAMPLES = ROOT / "resources" / "examples"

FIELD_HELP = {
    "name": "Shown in the window title and the runs list.",
    "dataset.task": "Which task makes the sequences (see Tasks below).",
    "dataset.params": "The task's own parameters (see Tasks below); missing ones take their defaults.",
    "dataset.validation_split": "Fraction of the samples kept for validation. Series are split in time "
                                "order: the last part validates.",
    "dataset.seed": "Seed of the data generator: the same seed gives the same samples.",
    "model.cell": "Recurrent cell: SimpleRNN (the lecture's plain RNN), LSTM or GRU.",
    "model.io_mode": "How inputs and outputs line up in time; must be one the task supports.",
    "model.layers": "Stacked recurrent layers.",
    "model.units": "Units (hidden state size) of each recurrent layer.",
    "model.activation": "Activation of the recurrent cell; LSTM/GRU need tanh for the fast cuDNN kernel.",
    "model.dropout": "Dropout on each layer's inputs.",
    "model.recurrent_dropout": "Dropout on the recurrent state; any value above 0 leaves the cuDNN kernel.",
    "model.bidirectional": "Read the sequence both ways (Keras Bidirectional).",
    "model.embedding_dim": "Token inputs only: 0 feeds one-hot vectors, N learns an N-wide embedding.",
    "model.one_to_many_feed": "One-to-many only: repeat the input vector at every step, or use it as "
                              "the initial state.",
    "training.optimizer": "Optimizer.",
    "training.learning_rate": "Step size of the optimizer.",
    "training.momentum": "Momentum (sgd only).",
    "training.clip_mode": "Gradient clipping: by each weight's norm, by the global norm, by value, or none.",
    "training.clip_value": "Threshold of the chosen clipping.",
    "training.epochs": "Passes over the training data (fewer if early stopping ends the run).",
    "training.batch_size": "Samples per gradient step.",
    "training.early_stopping": "Stop when the validation loss has not improved for `patience` epochs.",
    "training.patience": "Epochs without improvement before early stopping.",
    "training.seed": "Seed of weight initialisation and shuffling: the same seed gives the same run on CPU.",
    "training.device": "Where to train: cpu, gpu:N (one GPU) or all_gpus (MirroredStrategy).",
}

PARAM_KINDS = {
    "int": "whole number",
    "float": "number",
    "bool": "true / false",
    "choice": "choice",
    "path": "file path",
    "str": "text",
    "columns": "column names",
}


def _accepted(section: str, spec: Any, name: str) -> str:
    """The validator's own description of the accepted values, found by giving it a bad one."""
    default = getattr(spec, name)
    if isinstance(default, bool):
        probes: list[Any] = ["not a bool"]
    elif isinstance(default, (int, float)):
        probes = [-10**12, 10**12]
    elif isinstance(default, str):
        probes = ["\x00", 0]
    else:
        probes = [[]]
    dotted = f"{section}.{name}" if section else name
    for probe in probes:
        try:
            if section:
                dataclasses.replace(spec, **{name: probe}).validate()
            else:
                dataclasses.replace(Project(), **{name: probe}).validate()
        except SpecError as exc:
            if exc.field == dotted:
                return exc.expected
    return "any value"


def _md(text: str) -> str:
    # "<pad>" would be read as an HTML tag and vanish.
    return text.replace("<", "&lt;").replace(">", "&gt;")


def _cell(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return _md(text).replace("|", "\\|").replace("\n", " ")


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _json(value: Any) -> str:
    return "`" + json.dumps(value) + "`"


def _section_table(section: str, spec: Any) -> list[str]:
    lines = ["| Field | Default | Accepted values | Meaning |", "|---|---|---|---|"]
    for f in dataclasses.fields(spec):
        dotted = f"{section}.{f.name}"
        if dotted not in FIELD_HELP:
            raise SystemExit(f"{dotted} has no description: add it to FIELD_HELP in {Path(__file__).name}")
        default = getattr(spec, f.name)
        if dotted == "dataset.params":
            default = {}
        lines.append(f"| `{dotted}` | {_json(default)} | {_cell(_accepted(section, spec, f.name))} "
                     f"| {_cell(FIELD_HELP[dotted])} |")
    return lines


def _param_range(p) -> str:
    if p.kind in ("int", "float"):
        low = "" if p.minimum is None else _num(p.minimum)
        high = "" if p.maximum is None else _num(p.maximum)
        if low and high:
            return f"{low} to {high}"
        return f">= {low}" if low else (f"<= {high}" if high else "any")
    if p.kind == "choice":
        return ", ".join(f"`{c}`" for c in p.choices)
    if p.kind == "bool":
        return "`true`, `false`"
    if p.kind == "path":
        return "a path or `builtin:NAME` (see Paths)"
    if p.kind == "columns":
        return 'a list `["a", "b"]` or `"a, b"`'
    return "text"


def _examples() -> list[str]:
    rows = []
    for path in sorted(EXAMPLES.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            dataset, model = data.get("dataset", {}), data.get("model", {})
            rows.append(f"| `{path.name}` | {_cell(data.get('name', ''))} | `{dataset.get('task', '')}` "
                        f"| {IO_MODE_TITLES.get(model.get('io_mode', ''), model.get('io_mode', ''))} "
                        f"| {model.get('cell', '')} |")
        except (OSError, ValueError, AttributeError):
            rows.append(f"| `{path.name}` | (unreadable) | | | |")
    if not rows:
        return []
    return ["## Examples", "",
            "Ready projects in `resources/examples/` (open them in the window's Examples menu, or run "
            "`python main.py train resources/examples/FILE --out model.rnnlab`):", "",
            "| File | Name | Task | I/O mode | Cell |", "|---|---|---|---|---|", *rows, ""]


def render() -> str:
    lines = [
        "# Project fields",
        "",
        "<!-- Generated by scripts/gen_project_fields.py from core/specs.py and the task registry. "
        "Do not edit: run `python scripts/gen_project_fields.py`. -->",
        "",
        "A project file is JSON with three sections: `dataset` (which sequences), `model` (which "
        "network) and `training` (how it learns). Every field is optional: a missing field takes the "
        "default below. Unknown fields and wrong values are refused with a message naming the field. "
        "On the command line, `--set FIELD=VALUE` overrides any field by the dotted names below "
        "(`--set model.cell=GRU --set dataset.params.window=20`); VALUE is read as JSON when it can be "
        "(numbers, `true`, lists), as text otherwise.",
        "",
        "```json",
        Project().to_json(),
        "```",
        "",
        "## Top level",
        "",
        "| Field | Default | Accepted values | Meaning |",
        "|---|---|---|---|",
        f"| `schema_version` | `{SCHEMA_VERSION}` | "
        + (f"a whole number from 1 to {SCHEMA_VERSION}" if SCHEMA_VERSION > 1 else "`1`")
        + " | Format version; files from a newer RNN Lab are refused. |",
        f"| `name` | {_json(Project().name)} | {_cell(_accepted('', Project(), 'name'))} | {FIELD_HELP['name']} |",
        "",
        "## dataset",
        "",
        *_section_table("dataset", DatasetSpec()),
        "",
        "## model",
        "",
        *_section_table("model", ModelSpec()),
        "",
        "I/O modes: " + "; ".join(f"`{k}` = {v}" for k, v in IO_MODE_TITLES.items()) + ".",
        "",
        "## training",
        "",
        *_section_table("training", TrainingSpec()),
        "",
        "## Paths",
        "",
        "File parameters (kind *file path* below) are resolved when a project file is loaded:",
        "",
        "- `builtin:NAME` names a file shipped with RNN Lab (see each task's parameter for the names); it "
        "works wherever RNN Lab is installed;",
        "- a relative path is relative to the folder of the project file, not the working directory, so a "
        "project and its data can be moved together;",
        "- an absolute path is used as it is.",
        "",
        "Saving a project writes files in the project's folder (or below it) as relative paths and other "
        "files as absolute paths. A path given with `--set` on the command line is relative to the "
        "working directory.",
        "",
        "## Tasks",
        "",
        "Each task's parameters go in `dataset.params`. *Modes* lists the I/O modes a parameter applies to "
        "(others ignore it).",
        "",
    ]
    for task in list_tasks():
        modes = ", ".join(f"`{m}`" + (" (natural)" if m == task.natural_mode else "") for m in task.supported_modes)
        lines += [
            f"### `{task.name}`: {task.title}",
            "",
            _md(task.description),
            "",
            f"- Kind: {task.kind}. I/O modes: {modes}."
            + (f" Generation at inference: {task.generation}." if task.generation else ""),
        ]
        if task.lecture_note:
            lines.append(f"- From the lecture: {_md(task.lecture_note)}")
        lines.append("")
        if task.params:
            lines += ["| Parameter | Kind | Default | Range | Modes | Meaning |", "|---|---|---|---|---|---|"]
            for p in task.params:
                modes_cell = ", ".join(f"`{m}`" for m in p.modes) if p.modes else "all"
                meaning = p.label + (f": {p.help}" if p.help else "")
                lines.append(f"| `{p.name}` | {PARAM_KINDS.get(p.kind, p.kind)} | {_json(p.default)} "
                             f"| {_cell(_param_range(p))} | {modes_cell} | {_cell(meaning)} |")
        else:
            lines.append("No parameters.")
        lines.append("")
    lines += _examples()
    return "\n".join(lines).rstrip() + "\n"


README = ROOT / "README.md"
README_START = "<!-- project-fields:start (generated by scripts/gen_project_fields.py) -->"
README_END = "<!-- project-fields:end -->"


def render_readme_section() -> str:
    """The README's own copy of the field tables (every task's parameters stay in the doc)."""
    lines = [
        README_START,
        "",
        "| Field | Default | Accepted values | Meaning |",
        "|---|---|---|---|",
        f"| `name` | {_json(Project().name)} | {_cell(_accepted('', Project(), 'name'))} | {FIELD_HELP['name']} |",
        *_section_table("dataset", DatasetSpec())[2:],
        *_section_table("model", ModelSpec())[2:],
        *_section_table("training", TrainingSpec())[2:],
        "",
        "Task parameters (`dataset.params.*`), with defaults and ranges for every task: "
        "[docs/PROJECT_FIELDS.md](docs/PROJECT_FIELDS.md#tasks).",
        "",
        README_END,
    ]
    return "\n".join(lines)


def readme_with_fields(readme: str) -> str:
    start, end = readme.index(README_START), readme.index(README_END) + len(README_END)
    return readme[:start] + render_readme_section() + readme[end:]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    text = render()
    readme = README.read_text(encoding="utf-8")
    new_readme = readme_with_fields(readme)
    if "--check" in argv:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text or readme != new_readme:
            print("docs/PROJECT_FIELDS.md or README.md is out of date: run python scripts/gen_project_fields.py",
                  file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    README.write_text(new_readme, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)} and the field tables in README.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
