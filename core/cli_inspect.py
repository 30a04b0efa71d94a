"""``main.py inspect MODEL.rnnlab|MODEL.keras [--json]``: what a model file holds.

For a bundle: the project, the data facts, the parameters per layer and the Keras summary, the
training history with its per-epoch gradient-flow profiles and spectral radii, and the run's
verdicts and diagnosis as the window shows them. For a plain ``.keras`` model: its layers. With
``--json`` the last line of stdout is one object (the probes' states are ``main.py explain``'s).
"""

from __future__ import annotations

import json
from typing import Any

from core.cli_common import (
    EXIT_OK,
    add_model_command,
    flow_array,
    fmt,
    jsonable,
    load_tensorflow_for,
    say,
    say_verdicts,
    shorten,
)

FLOW_STEPS_SHOWN = 8  # steps of a gradient-flow profile printed per epoch


def add_parser(sub: Any) -> None:
    """Register the ``inspect`` command on the main parser's subcommands."""
    inspect = add_model_command(
        sub, "inspect", run, help_text="show a model's project, layers and training history",
        description="Show the project, per-layer parameters, summary and history (with the per-epoch "
                    "gradient-flow profiles) of a bundle, or the layers of a plain .keras model.",
        model_help="model bundle (.rnnlab) or plain .keras model",
    )
    inspect.add_argument("--json", action="store_true", help="print one JSON object")


def run(args) -> int:
    from core.memory_estimate import estimate_loading_memory
    from core.persistence import describe_keras_model, import_keras, is_bundle

    load_tensorflow_for(args.model)
    if is_bundle(args.model):
        return _inspect_bundle(args)
    model = import_keras(args.model)
    description = describe_keras_model(model)
    if args.json:
        print(json.dumps(jsonable({"kind": "keras", "file": str(args.model), "model": description})), flush=True)
        return EXIT_OK
    say(f"{args.model}: plain Keras model (no RNN Lab project or training history)")
    _print_model(description)
    say(f"\nMemory: {estimate_loading_memory(description['total_params']).text}")
    return EXIT_OK


def _inspect_bundle(args) -> int:
    from core.diagnosis import diagnosis_json
    from core.memory_estimate import estimate_training_memory
    from core.persistence import describe_keras_model, load_bundle

    bundle = load_bundle(args.model)
    description = describe_keras_model(bundle.model)
    history = bundle.history.to_dict() if bundle.history is not None else None
    probes = history.pop("probes", []) if history else []  # the probe's states: `main.py explain`
    if args.json:
        print(json.dumps(jsonable({
            "kind": "rnnlab-bundle", "file": str(args.model), "manifest": bundle.manifest,
            "project": bundle.project.to_dict(), "data_info": bundle.info.to_dict(),
            "model": description, "history": history,
            "diagnosis": diagnosis_json(bundle.project, bundle.history, bundle.info),
            "spectral_radius": (history or {}).get("spectral_radius", {}),
            "probe_epochs": [probe["epoch"] for probe in probes],
        })), flush=True)
        return EXIT_OK
    _print_bundle(args.model, bundle, description, history)
    say(f"\nMemory: {estimate_training_memory(bundle.project, bundle.info, 0, 0).text} (without the dataset)")
    return EXIT_OK


def _print_bundle(path, bundle, description: dict, history: dict | None) -> None:
    m = bundle.manifest
    say(f"{path}: RNN Lab model bundle v{m.get('version')}, saved {m.get('created', '?')} "
        f"with Keras {m.get('keras_version', '?')}")
    say("")
    say("Project")
    for line in bundle.project.to_json().splitlines():
        say("  " + line)
    info = bundle.info
    say("")
    say(f"Data: {info.task}, {info.kind}, {info.io_mode}; input {tuple(info.input_shape)}, "
        f"output {tuple(info.output_shape)}")
    if info.description:
        say("  " + info.description)
    if info.class_names:
        say("  classes: " + shorten(", ".join(info.class_names)))
    if info.vocabulary:
        say(f"  vocabulary ({info.vocab_size}): " + shorten(", ".join(repr(v) for v in info.vocabulary)))
    say("")
    _print_model(description)
    say("")
    _print_history(history)
    say_verdicts(bundle.project, bundle.history, info)


def _print_model(description: dict) -> None:
    say(f"Inputs {description['inputs']}  outputs {description['outputs']}")
    say("Parameters per layer")
    width = max([len(layer["name"]) for layer in description["layers"]] + [5])
    for layer in description["layers"]:
        say(f"  {layer['name']:<{width}}  {layer['class']:<20} {layer['params']:>10,}")
    say(f"  {'total':<{width}}  {'':<20} {description['total_params']:>10,}")
    say("")
    say(description["summary"])


def _print_history(history: dict | None) -> None:
    if not history or not history.get("epochs"):
        say("History: none (the model was not trained)")
        return
    epochs = history["epochs"]
    keys = []
    for logs in epochs:
        keys.extend(k for k in logs if k not in keys)
    say(f"History: {len(epochs)} epochs, {len(history.get('batch_loss') or [])} batches")
    say("  epoch  " + "  ".join(f"{k:>12}" for k in keys))
    for i, logs in enumerate(epochs, 1):
        say(f"  {i:>5}  " + "  ".join(f"{fmt(logs.get(k)):>12}" for k in keys))
    _print_flows(history.get("gradient_flow") or [])
    from core.weight_health import radius_lines

    for line in radius_lines(history.get("spectral_radius") or {}, history.get("divergence")):
        say(line)


def _print_flows(flows: list) -> None:
    if not flows:
        return
    from core.diagnostics import flow_verdict
    from core.epoch_probe import FLOW_BUDGET

    say("")
    say("Gradient flow per epoch: ||d loss / d x_t|| at sampled steps t (first/last: how much of "
        "the gradient reaches the first step)")
    skipped = 0
    for i, flow in enumerate(flows, 1):
        values = flow_array(flow)
        if values.size == 0:
            skipped += 1
            continue
        picks = sorted(set(int(round(v)) for v in _linspace(0, values.size - 1, min(FLOW_STEPS_SHOWN, values.size))))
        cells = "  ".join(f"t{t + 1}={values[t]:.2e}" for t in picks)
        ratio = f"{values[0] / values[-1]:.2e}" if values[-1] > 0 else "n/a"
        say(f"  epoch {i:>3}: {cells}   first/last {ratio} ({flow_verdict(values).kind})")
    if skipped:
        say(f"  ({skipped} of {len(flows)} epochs not measured: a heavy model's flow is measured within "
            f"{FLOW_BUDGET:.0%} of the training time)")


def _linspace(start: float, stop: float, num: int) -> list[float]:
    if num <= 1:
        return [start]
    return [start + (stop - start) * i / (num - 1) for i in range(num)]
