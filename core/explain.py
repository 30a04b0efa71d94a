"""``main.py explain MODEL.rnnlab [--sample N | --input FILE] [--json]``: what the network holds at each step.

For one sequence (validation sample N, default 0, or a sequence typed into a file as in the
window) it prints, per recurrent layer, h(t) and for LSTM/GRU the gates step by step, how often
each gate is saturated, the most active units, and the connectivity: which input step each
output depends on most. With ``--json`` the last line of stdout is one object:
``{"sample", "source", "steps", "input", "layers": [{"name", "cell", "hidden", "cell_state"
(LSTM only), "gates"}], "output", "prediction", "connectivity"}`` (``core.states`` and
``core.connectivity`` hold the definitions).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

SHOWN_STEPS = 20  # rows of the per-step tables; --json has them all


def explain(model, info, x) -> Any:
    """SequenceStates of one sample with its connectivity filled in."""
    from core.connectivity import connectivity
    from core.states import sequence_states

    states = sequence_states(model, info, x)
    states.connectivity = connectivity(model, info, x)
    return states


def add_parser(sub: Any) -> None:
    """Register the ``explain`` command on the main parser's subcommands."""
    from core.cli_common import add_model_command, add_sequence_source

    parser = add_model_command(
        sub, "explain", run, help_text="show what the network remembers at each step of one sequence",
        description="Look inside a trained model for one sequence: the hidden state h(t) of every recurrent "
                    "layer, the cell state and gates of an LSTM or GRU, how often each gate is saturated, "
                    "and the connectivity ||d y(t_out) / d x(t_in)||: which input each output depends on.",
    )
    add_sequence_source(parser)
    parser.add_argument("--json", action="store_true",
                        help="end with one line: a JSON object of the states, gates and connectivity")


def run(args) -> int:
    from core.cli_common import EXIT_OK, chosen_sequence, jsonable, open_bundle
    from core.inference import predict_sample

    bundle = open_bundle(args.model)
    x, _, source = chosen_sequence(args, bundle)
    index = None if args.input is not None else args.sample or 0
    states = explain(bundle.model, bundle.info, x)
    prediction = predict_sample(bundle.model, bundle.info, x).decoded_output
    if args.json:
        print(json.dumps(jsonable({"sample": index, "source": source, **states.to_dict(),
                                   "prediction": prediction})), flush=True)
        return EXIT_OK
    for line in summary_lines(states, source, prediction):
        _say_line(line)
    return EXIT_OK


def _say_line(text: str) -> None:
    from core.cli_common import say

    say(text)


def summary_lines(states, source: str, prediction: str) -> list[str]:
    """The human-readable explanation."""
    from core.formatting import format_number
    from core.gate_saturation import CLOSED_BELOW, OPEN_ABOVE

    tokens = states.input_tokens
    lines = [f"{source}: {' '.join(tokens)}", f"prediction: {prediction}", ""]
    for layer in states.layers:
        lines.append(f"{layer.name} ({layer.cell}, {layer.units} units, {layer.steps} steps)")
        gates = [g for g in layer.gates if g != "candidate"]
        header = f"  {'step':>4}  {'input':<12} {'mean |h|':>8}" + "".join(f" {g:>8}" for g in gates)
        lines.append(header + ("   (gates: mean over units)" if gates else ""))
        aligned = layer.steps == len(tokens)
        for t in range(min(layer.steps, SHOWN_STEPS)):
            token = tokens[t] if aligned else ""
            row = f"  {t + 1:>4}  {_cut(token, 12):<12} {np.mean(np.abs(layer.hidden[t])):>8.3f}"
            row += "".join(f" {np.mean(layer.gates[g][t]):>8.3f}" for g in gates)
            lines.append(row)
        if layer.steps > SHOWN_STEPS:
            lines.append(f"  ... {layer.steps - SHOWN_STEPS} more steps (use --json for all)")
        saturation = layer.saturation()
        if saturation:
            shares = ", ".join(f"{g} {np.mean(v):.0%}" for g, v in saturation.items())
            lines.append(f"  saturated gates (< {CLOSED_BELOW} or > {OPEN_ABOVE}): {shares}")
        activity = np.mean(np.abs(layer.hidden), axis=0)
        top = np.argsort(-activity)[:3]
        lines.append("  most active units: " + ", ".join(f"unit {u + 1} (mean |h| {activity[u]:.2f})" for u in top))
        lines.append("")
    c = states.connectivity
    if c is not None and c.size:
        lines.append("Connectivity ||d y(t_out) / d x(t_in)||: the input steps each output depends on most")
        for t in range(min(len(c), SHOWN_STEPS)):
            row = c[t]
            total = float(np.sum(row))
            picks = [i for i in np.argsort(-row)[:3] if row[i] > 0]
            where = "output" if len(c) > 1 else "the output"
            label = f"  {where} {t + 1:>3}" if len(c) > 1 else f"  {where}"
            cells = ", ".join(f"step {i + 1} ({_cut(tokens[i], 10) if i < len(tokens) else ''}) "
                              f"{row[i] / total:.0%}" if total > 0 else f"step {i + 1}" for i in picks)
            lines.append(f"{label}: {cells or 'depends on no input'}  (total {format_number(total, 3)})")
        if len(c) > SHOWN_STEPS:
            lines.append(f"  ... {len(c) - SHOWN_STEPS} more output steps (use --json for all)")
    return lines


def _cut(text: str, width: int) -> str:
    text = text.replace("\n", "\\n")
    return text if len(text) <= width else text[: width - 1] + "…"
