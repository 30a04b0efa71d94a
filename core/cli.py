"""Headless command line: train, predict, inspect and export without the window.

    python main.py train PROJECT.json --out MODEL.rnnlab [--set FIELD=VALUE ...] [--json]
    python main.py predict MODEL.rnnlab [--sample N | --input FILE] [--json]
    python main.py inspect MODEL.rnnlab|MODEL.keras [--json]
    python main.py export MODEL.rnnlab OUT.keras|OUT.onnx|LOGDIR [--format keras|onnx|tensorboard]
    python main.py generate MODEL.rnnlab [--seed TEXT | --seed-sample N] [--length N] [--temperature T] [--json]
    python main.py evaluate MODEL.rnnlab [--split val|test] [--season ROWS] [--json]
    python main.py explain MODEL.rnnlab [--sample N | --input FILE] [--json]

Exit codes: 0 done, 1 a file or setting cannot be used, 2 bad command-line arguments, 130
interrupted. Expected problems print one line ``error: ...`` on stderr, never a traceback. With
``--json`` the last line of stdout is one JSON object.

``train`` writes the bundle whenever training ran: a first Ctrl-C stops after the current batch
and saves, and a run halted by a NaN loss saves its last finite weights, prints a warning on
stderr and exits 0; ``stop_reason`` ("completed", "stopped", "early_stopping", "nan") tells them
apart.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# Before TensorFlow loads (it is imported lazily by the commands): keep its C++ chatter off.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from core.errors import DatasetError, ModelFileError, RNNLabError, SpecError  # noqa: E402
from core.exports import EXPORT_FORMATS  # noqa: E402
from core.files import located, read_user_text  # noqa: E402
from core.history import TrainingListener  # noqa: E402

PROG = "main.py"
GENERATE_LENGTH = 50
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad argument as one line instead of usage text and exit."""

    def error(self, message: str):  # noqa: D401 - argparse API
        raise _UsageError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="RNN Lab from the command line. Without arguments, main.py opens the window.",
        epilog="Project fields are documented in docs/PROJECT_FIELDS.md.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    train = sub.add_parser(
        "train", help="train a project and write the model bundle",
        description="Train PROJECT.json and write the trained model bundle to --out.",
    )
    train.add_argument("project", metavar="PROJECT.json", help="project file (settings only)")
    train.add_argument("--out", required=True, metavar="MODEL_FILE",
                       help="where to write the model bundle (.rnnlab)")
    train.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", type=_assignment,
                       help="override a project field by its dotted name, e.g. --set model.cell=GRU "
                            "--set training.epochs=5 (repeatable)")
    train.add_argument("--json", action="store_true",
                       help="end with one line: a JSON object of the final metrics")
    train.set_defaults(handler=_cmd_train)

    predict = sub.add_parser(
        "predict", help="predict one sample with a trained model",
        description="Predict a validation sample (default 0) or a typed sequence read from a file.",
    )
    predict.add_argument("model", metavar="MODEL_FILE", help="model bundle (.rnnlab)")
    source = predict.add_mutually_exclusive_group()
    source.add_argument("--sample", type=_non_negative_int, metavar="N",
                        help="index of a validation sample of the project's dataset (default 0)")
    source.add_argument("--input", metavar="FILE",
                        help="text file holding one input sequence as typed in the window ('-': stdin)")
    predict.add_argument("--json", action="store_true", help="print one JSON object")
    predict.set_defaults(handler=_cmd_predict)

    inspect = sub.add_parser(
        "inspect", help="show a model's project, layers and training history",
        description="Show the project, per-layer parameters, summary and history (with the per-epoch "
                    "gradient-flow profiles) of a bundle, or the layers of a plain .keras model.",
    )
    inspect.add_argument("model", metavar="MODEL_FILE", help="model bundle (.rnnlab) or plain .keras model")
    inspect.add_argument("--json", action="store_true", help="print one JSON object")
    inspect.set_defaults(handler=_cmd_inspect)

    generate = sub.add_parser(
        "generate", help="continue a text or a time series with a trained model",
        description="Generate with a text model (character by character, or word by word) or a "
                    "series model (each prediction fed back as the next step). The seed is typed "
                    "with --seed (text, or values as typed in the window's predict panel) or taken "
                    "from a validation sample (--seed-sample, default 0).",
    )
    generate.add_argument("model", metavar="MODEL_FILE", help="model bundle (.rnnlab)")
    seed = generate.add_mutually_exclusive_group()
    seed.add_argument("--seed", metavar="TEXT",
                      help="what to continue: text for a text model, a sequence of values for a series model")
    seed.add_argument("--seed-sample", type=_non_negative_int, metavar="N",
                      help="continue validation sample N of the project's dataset (default 0)")
    generate.add_argument("--length", type=_positive_int, default=None, metavar="N",
                          help=f"tokens (text) or steps (series) to generate (default {GENERATE_LENGTH})")
    generate.add_argument("--temperature", type=_positive_float, default=None, metavar="T",
                          help="text only: below 1 picks likelier tokens, above 1 more varied ones (default 1)")
    generate.add_argument("--json", action="store_true", help="print one JSON object")
    generate.set_defaults(handler=_cmd_generate)

    export = sub.add_parser(
        "export", help="write the model for other tools: plain Keras, ONNX or TensorBoard",
        description="Write the model as a plain .keras file (keras.saving.load_model reads it without "
                    "RNN Lab), as ONNX (checked against Keras with onnxruntime), or its training history "
                    "as TensorBoard event files in a folder. A model file gets OUT.data.json next to it: "
                    "the normalisation and names its inputs and outputs need.",
    )
    export.add_argument("model", metavar="MODEL_FILE", help="model bundle (.rnnlab) or plain .keras model")
    export.add_argument("out", metavar="OUT", help="OUT.keras, OUT.onnx, or a folder with --format tensorboard")
    export.add_argument("--format", choices=EXPORT_FORMATS, default=None,
                        help="default: from OUT's suffix (.keras or .onnx)")
    export.set_defaults(handler=_cmd_export)

    from core import evaluate_cli  # its own module: the command's logic lives there

    evaluate_cli.add_parser(sub)
    from core import explain

    explain.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit code (0 ok, 1 bad file/setting, 2 bad arguments)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except _UsageError as exc:
        _error(f"{exc} (see {PROG} --help)")
        return EXIT_USAGE
    except SystemExit as exc:  # --help and --version exit through argparse
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    if args.command is None:
        _error(f"{PROG}: a command is required: train, predict, inspect, export, generate, evaluate or explain (see {PROG} --help)")
        return EXIT_USAGE
    try:
        return args.handler(args)
    except RNNLabError as exc:
        _error(str(exc))
        return EXIT_FAILED
    except KeyboardInterrupt:
        _error("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # Output piped into `head` and the like: the reader left, nothing to report.
        return EXIT_OK


# --- arguments ------------------------------------------------------------------------------


def _assignment(text: str) -> str:
    field, sep, _ = text.partition("=")
    if not sep or not field.strip():
        raise argparse.ArgumentTypeError(f"expected FIELD=VALUE (e.g. model.cell=GRU), received {text!r}")
    return text


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, received {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, received {text!r}")
    return value


# --- train ----------------------------------------------------------------------------------


def _cmd_train(args) -> int:
    from core.datasets import build_dataset
    from core.datasets.windows import dataset_bytes
    from core.memory_estimate import require_training_memory
    from core.persistence import Bundle, load_project, resolve_project_paths, save_bundle

    project = load_project(args.project)
    for assignment in args.set:
        try:
            project = project.with_override(assignment)
        except SpecError as exc:
            raise located(exc, f"--set {assignment}") from None
    # A file given with --set is relative to the working directory; the bundle keeps it absolute.
    project = resolve_project_paths(project, None)
    out = Path(args.out)
    if not out.absolute().parent.is_dir():
        raise ModelFileError(f"{out}: cannot write the model bundle: the folder {out.absolute().parent} does not exist.")
    if out.is_dir():
        raise ModelFileError(f"{out}: cannot write the model bundle: a folder of that name exists.")

    data = build_dataset(project.dataset, project.model.io_mode)
    memory = require_training_memory(project, data.info, data.num_train, data.num_val,
                                     dataset_bytes=dataset_bytes(data))
    if memory.level == "warn":
        _error(f"warning: {memory.message}")
    else:
        _say(f"memory: {memory.message}")
    _load_tensorflow()
    from core import models, training

    models.check_compatible(project.model, data.info)
    _say(f"training {project.name!r}: {project.dataset.task} task, {data.num_train} training and "
         f"{data.num_val} validation samples, {project.model.cell} {project.model.io_mode}")
    for note in data.info.extra.get("notes", []):  # what was read from a user's file, as the window's preview
        _say(f"  {note}")
    control = training.TrainingControl()
    listener = _ProgressListener()
    with _StopOnInterrupt(control):
        result = training.train(project, data, listener=listener, control=control)
    if listener.failure is not None:
        raise RNNLabError(f"training failed: {listener.failure}")
    save_bundle(out, Bundle(project=project, model=result.model, history=result.history, info=data.info))

    if result.stop_reason == "nan":
        _error(f"warning: {result.message} (the last finite weights were saved)")
    elif result.stop_reason != "completed" and result.message:
        _say(result.message)
    _say(f"saved {out} ({result.epochs_run} epoch{'s' if result.epochs_run != 1 else ''}, {result.stop_reason})")
    _say_verdicts(project, result.history, data.info, data.y_train)
    if args.json:
        summary: dict[str, Any] = {"loss": None, "val_loss": None}
        if data.info.kind == "classification":
            summary.update(accuracy=None, val_accuracy=None)
        summary.update({k: _finite(v) for k, v in result.final_metrics.items()})
        summary.update(epochs_run=result.epochs_run, stop_reason=result.stop_reason, message=result.message,
                       model_file=str(out))
        print(json.dumps(_jsonable(summary)), flush=True)
    return EXIT_OK


class _ProgressListener(TrainingListener):
    """One line per epoch on stdout, flushed so a pipe sees progress as it happens."""

    def __init__(self):
        self.failure: str | None = None

    def on_run_started(self, event):
        _say(f"{event.epochs} epochs x {event.batches_per_epoch} batches on {event.device_name}")

    def on_epoch_end(self, event):
        width = len(str(event.epochs))
        parts = [f"epoch {event.epoch:>{width}}/{event.epochs}"]
        for key, value in event.logs.items():
            parts.append(f"{key} {_fmt(value)}")
        flow = _flow_array(event.gradient_flow)
        if flow.size >= 2 and flow[-1] > 0:
            from core.diagnostics import flow_verdict

            parts.append(f"grad-flow first/last {flow[0] / flow[-1]:.2g} ({flow_verdict(flow).kind})")
        parts.append(f"{event.elapsed_s:.1f}s")
        _say("  ".join(parts))

    def on_failed(self, message):
        self.failure = message


class _StopOnInterrupt:
    """First Ctrl-C stops training after the current batch (the model is still saved); second aborts."""

    def __init__(self, control):
        self.control = control
        self.previous = None

    def _handler(self, signum, frame):
        if self.control.stop_requested:
            raise KeyboardInterrupt
        _error("stopping after this batch (Ctrl-C again to abort without saving)")
        self.control.request_stop()

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc):
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
        return False


# --- predict --------------------------------------------------------------------------------


def _cmd_predict(args) -> int:
    from core.inference import predict_sample
    from core.persistence import load_bundle

    _load_tensorflow_for(args.model)

    bundle = load_bundle(args.model)
    info = bundle.info
    if args.input is not None:
        text = _read_input(args.input)
        x = info.encode_input(text)
        prediction = predict_sample(bundle.model, info, x)
        source = f"input from {args.input}"
    else:
        from core.datasets import build_dataset

        data = build_dataset(bundle.project.dataset, bundle.project.model.io_mode)
        x, y, source = _seed_sample(data, args.sample or 0)
        prediction = predict_sample(bundle.model, info, x, y)
    if args.json:
        print(json.dumps({"source": source, **_jsonable(prediction.to_dict())}), flush=True)
        return EXIT_OK
    _say(f"{source}")
    _say(f"input:       {prediction.decoded_input}")
    _say(f"prediction:  {prediction.decoded_output}")
    if prediction.target is not None:
        _say(f"target:      {prediction.target}")
    if prediction.accuracy is not None and prediction.probabilities and len(prediction.probabilities) > 1:
        _say(f"accuracy:    {prediction.accuracy:.0%} of {len(prediction.probabilities)} steps")
    if prediction.probabilities:
        steps = prediction.probabilities
        label = "top classes:" if len(steps) == 1 else "top classes per step:"
        _say(label)
        for i, step in enumerate(steps[:20]):
            prefix = "  " if len(steps) == 1 else f"  {i + 1:>3}: "
            _say(prefix + ", ".join(f"{name} {p:.3f}" for name, p in step))
        if len(steps) > 20:
            _say(f"  ... {len(steps) - 20} more steps (use --json for all)")
    return EXIT_OK


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, received {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, received {text!r}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number > 0, received {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, received {text!r}")
    return value


# --- generate -------------------------------------------------------------------------------


def _cmd_generate(args) -> int:
    import numpy as np

    from core.datasets import get_task
    from core.inference import generate_series, generate_text
    from core.persistence import load_bundle

    _load_tensorflow_for(args.model)
    bundle = load_bundle(args.model)
    info = bundle.info
    kind = get_task(info.task).generation_for(info)
    if not kind:
        raise ModelFileError(f"{args.model}: this {info.task} model cannot generate: generation needs a text "
                             "model (next token) or a series model that predicts every input feature (next "
                             "value); use predict instead.")
    if kind == "series" and args.temperature is not None:
        raise SpecError("--temperature", args.temperature, "no temperature: it applies to text models only")
    length = args.length or GENERATE_LENGTH
    if args.seed is not None:
        source = "typed seed"
        seed_x = None
    else:
        from core.datasets import build_dataset

        data = build_dataset(bundle.project.dataset, bundle.project.model.io_mode)
        seed_x, _, source = _seed_sample(data, args.seed_sample or 0)

    if kind == "text":
        if seed_x is None:
            seed_text = args.seed
        else:
            char_level = all(len(token) == 1 for token in info.vocabulary)
            tokens = [info.vocabulary[int(t)] for t in np.asarray(seed_x).reshape(-1)]
            seed_text = "".join(tokens) if char_level else " ".join(tokens)
        temperature = 1.0 if args.temperature is None else args.temperature
        text = generate_text(bundle.model, info, seed_text, length, temperature)
        if args.json:
            print(json.dumps({"kind": "text", "source": source, "seed": seed_text, "length": length,
                              "temperature": temperature, "generated": text}), flush=True)
            return EXIT_OK
        _say(f"seed ({source}): {seed_text}")
        _say(f"generated:  {text}")
        return EXIT_OK

    seed_window = info.encode_input(args.seed) if seed_x is None else seed_x
    values = generate_series(bundle.model, info, np.asarray(seed_window), length)
    names = list(info.target_names) or [f"value {i + 1}" for i in range(values.shape[1])]
    if args.json:
        print(json.dumps({"kind": "series", "source": source, "length": len(values), "target_names": names,
                          "values": _jsonable(values.tolist())}), flush=True)
        return EXIT_OK
    _say(f"seed: {source}")
    _say("step  " + "  ".join(f"{n:>12}" for n in names))
    for i, row in enumerate(values):
        _say(f"{i + 1:>4}  " + "  ".join(f"{_fmt(float(v)):>12}" for v in row))
    return EXIT_OK


def _seed_sample(data, index: int) -> tuple[Any, Any, str]:
    """Sample ``index`` of the validation rows, or of the training rows when there are none."""
    split = "val" if data.num_val else "train"
    x, y = data.sample(index, split)
    return x, y, f"{'validation' if split == 'val' else 'training'} sample {index}"


def _read_input(name: str) -> str:
    text = sys.stdin.read() if name == "-" else read_user_text(Path(name), "input file", DatasetError)
    text = text.rstrip("\r\n")
    if not text.strip():
        raise DatasetError(f"{name}: the input is empty; write one sequence as you would type it in the window.")
    return text


# --- inspect --------------------------------------------------------------------------------


def _cmd_inspect(args) -> int:
    from core.diagnosis import diagnosis_json
    from core.memory_estimate import estimate_loading_memory, estimate_training_memory
    from core.persistence import describe_keras_model, import_keras, is_bundle, load_bundle

    _load_tensorflow_for(args.model)

    if is_bundle(args.model):
        bundle = load_bundle(args.model)
        description = describe_keras_model(bundle.model)
        history = bundle.history.to_dict() if bundle.history is not None else None
        probes = history.pop("probes", []) if history else []  # the probe's states: `main.py explain`
        if args.json:
            print(json.dumps(_jsonable({
                "kind": "rnnlab-bundle", "file": str(args.model), "manifest": bundle.manifest,
                "project": bundle.project.to_dict(), "data_info": bundle.info.to_dict(),
                "model": description, "history": history,
                "diagnosis": diagnosis_json(bundle.project, bundle.history, bundle.info),
                "spectral_radius": (history or {}).get("spectral_radius", {}),
                "probe_epochs": [probe["epoch"] for probe in probes],
            })), flush=True)
            return EXIT_OK
        _print_bundle(args.model, bundle, description, history)
        _say(f"\nMemory: {estimate_training_memory(bundle.project, bundle.info, 0, 0).text} (without the dataset)")
        return EXIT_OK
    model = import_keras(args.model)
    description = describe_keras_model(model)
    if args.json:
        print(json.dumps(_jsonable({"kind": "keras", "file": str(args.model), "model": description})), flush=True)
        return EXIT_OK
    _say(f"{args.model}: plain Keras model (no RNN Lab project or training history)")
    _print_model(description)
    _say(f"\nMemory: {estimate_loading_memory(description['total_params']).text}")
    return EXIT_OK


def _print_bundle(path, bundle, description: dict, history: dict | None) -> None:
    m = bundle.manifest
    _say(f"{path}: RNN Lab model bundle v{m.get('version')}, saved {m.get('created', '?')} "
         f"with Keras {m.get('keras_version', '?')}")
    _say("")
    _say("Project")
    for line in bundle.project.to_json().splitlines():
        _say("  " + line)
    info = bundle.info
    _say("")
    _say(f"Data: {info.task}, {info.kind}, {info.io_mode}; input {tuple(info.input_shape)}, "
         f"output {tuple(info.output_shape)}")
    if info.description:
        _say("  " + info.description)
    if info.class_names:
        _say("  classes: " + _shorten(", ".join(info.class_names)))
    if info.vocabulary:
        _say(f"  vocabulary ({info.vocab_size}): " + _shorten(", ".join(repr(v) for v in info.vocabulary)))
    _say("")
    _print_model(description)
    _say("")
    _print_history(history)
    _say_verdicts(bundle.project, bundle.history, info)


def _print_model(description: dict) -> None:
    _say(f"Inputs {description['inputs']}  outputs {description['outputs']}")
    _say("Parameters per layer")
    width = max([len(layer["name"]) for layer in description["layers"]] + [5])
    for layer in description["layers"]:
        _say(f"  {layer['name']:<{width}}  {layer['class']:<20} {layer['params']:>10,}")
    _say(f"  {'total':<{width}}  {'':<20} {description['total_params']:>10,}")
    _say("")
    _say(description["summary"])


def _print_history(history: dict | None) -> None:
    if not history or not history.get("epochs"):
        _say("History: none (the model was not trained)")
        return
    epochs = history["epochs"]
    keys = []
    for logs in epochs:
        keys.extend(k for k in logs if k not in keys)
    _say(f"History: {len(epochs)} epochs, {len(history.get('batch_loss') or [])} batches")
    _say("  epoch  " + "  ".join(f"{k:>12}" for k in keys))
    for i, logs in enumerate(epochs, 1):
        _say(f"  {i:>5}  " + "  ".join(f"{_fmt(logs.get(k)):>12}" for k in keys))
    flows = history.get("gradient_flow") or []
    if flows:
        from core.diagnostics import flow_verdict

        _say("")
        _say("Gradient flow per epoch: ||d loss / d x_t|| at sampled steps t (first/last: how much of "
             "the gradient reaches the first step)")
        for i, flow in enumerate(flows, 1):
            values = _flow_array(flow)
            if values.size == 0:
                _say(f"  epoch {i:>3}: (none)")
                continue
            picks = sorted(set(int(round(v)) for v in _linspace(0, values.size - 1, min(8, values.size))))
            cells = "  ".join(f"t{t + 1}={values[t]:.2e}" for t in picks)
            ratio = f"{values[0] / values[-1]:.2e}" if values[-1] > 0 else "n/a"
            _say(f"  epoch {i:>3}: {cells}   first/last {ratio} ({flow_verdict(values).kind})")
    from core.weight_health import radius_lines

    for line in radius_lines(history.get("spectral_radius") or {}):
        _say(line)


def _say_verdicts(project, history, info, y_train=None) -> None:
    """The gradient verdicts and the run's diagnosis with its fixes, as the window shows them."""
    from core.diagnosis import report_lines

    for line in report_lines(project, history, info, y_train):
        _say(line)


# --- export ---------------------------------------------------------------------------------


def _cmd_export(args) -> int:
    from core.exports import export_file, resolve_format

    fmt = resolve_format(args.out, args.format)
    _load_tensorflow_for(args.model)
    for line in export_file(args.model, args.out, fmt):
        _say(line)
    return EXIT_OK


# --- TensorFlow -----------------------------------------------------------------------------


def _load_tensorflow_for(model_path: str) -> None:
    # A missing file, and one the loaders refuse before Keras reads it (a zip bomb, a model too
    # big to build), is reported without paying for the TensorFlow import.
    if Path(model_path).is_file():
        from core.bundles import check_model_file

        check_model_file(model_path)
        _load_tensorflow()


def _load_tensorflow() -> None:
    """Import TensorFlow with its start-up chatter kept off stderr (replayed if the import fails).

    TF 2.21 logs through absl before TF_CPP_MIN_LOG_LEVEL is read ("oneDNN custom operations
    are on", "Could not find cuda drivers"), so only redirecting the stream keeps a script's
    stderr down to the lines that matter.
    """
    if "tensorflow" in sys.modules:
        return
    import tempfile

    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):
        import keras  # noqa: F401  stderr is not a real file (embedded use): import as is
        return
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            import keras  # noqa: F401
            import tensorflow as tf

            tf.config.list_physical_devices("GPU")
        except BaseException:
            os.dup2(saved, 2)
            sink.seek(0)
            os.write(2, sink.read())
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


# --- output helpers -------------------------------------------------------------------------


def _say(text: str) -> None:
    try:
        print(text, flush=True)
    except UnicodeEncodeError:
        # A non-UTF-8 terminal or pipe: the summary's box drawing and typed text degrade to "?".
        encoding = getattr(sys.stdout, "encoding", None) or "ascii"
        print(text.encode(encoding, errors="replace").decode(encoding), flush=True)


def _error(text: str) -> None:
    # One line: a message with newlines (e.g. from Keras) is folded.
    line = " ".join(str(text).split())
    if not line.startswith(("error:", "warning:")):
        line = "error: " + line
    print(line, file=sys.stderr, flush=True)


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(number):
        return str(number)
    return f"{number:.4g}"


def _finite(value: Any) -> Any:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return value
    return number if math.isfinite(number) else None


def _flow_array(flow: Any):
    import numpy as np

    if flow is None:
        return np.zeros(0)
    return np.asarray(flow, dtype=float).reshape(-1)


def _linspace(start: float, stop: float, num: int) -> list[float]:
    if num <= 1:
        return [start]
    return [start + (stop - start) * i / (num - 1) for i in range(num)]


def _shorten(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _jsonable(value: Any) -> Any:
    """JSON without NaN/Infinity (not JSON) and without numpy types."""
    import numpy as np

    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


if __name__ == "__main__":
    sys.exit(main())
