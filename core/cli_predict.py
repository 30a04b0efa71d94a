"""``main.py predict`` and ``main.py generate``: use a trained model bundle on one sequence.

    python main.py predict MODEL.rnnlab [--sample N | --input FILE] [--json]
    python main.py generate MODEL.rnnlab [--seed TEXT | --seed-sample N] [--length N] [--temperature T] [--json]

A sequence is a sample of the bundle's own data (validation, or training when there is none) or
one typed as in the window's Predict tab. ``generate`` asks the task how its model generates
(``Task.generation_for``): a text model token by token, a series model by feeding each
prediction back as the next step.
"""

from __future__ import annotations

import json
from typing import Any

from core.cli_common import (
    EXIT_OK,
    add_model_command,
    add_sequence_source,
    bundle_data,
    chosen_sequence,
    fmt,
    jsonable,
    non_negative_int,
    open_bundle,
    positive_float,
    positive_int,
    say,
    seed_sample,
)
from core.errors import ModelFileError, SpecError

GENERATE_LENGTH = 50
SHOWN_STEPS = 20  # steps of class probabilities printed; --json has them all


def add_predict_parser(sub: Any) -> None:
    """Register the ``predict`` command on the main parser's subcommands."""
    predict = add_model_command(
        sub, "predict", run_predict, help_text="predict one sample with a trained model",
        description="Predict a validation sample (default 0) or a typed sequence read from a file.",
    )
    add_sequence_source(predict)
    predict.add_argument("--json", action="store_true", help="print one JSON object")


GENERATE_DESCRIPTION = (
    "Generate with a text model (character by character, or word by word) or a "
    "series model (each prediction fed back as the next step). The seed is typed "
    "with --seed (text, or values as typed in the window's predict panel) or taken "
    "from a validation sample (--seed-sample, default 0)."
)


def add_generate_parser(sub: Any) -> None:
    """Register the ``generate`` command on the main parser's subcommands."""
    generate = add_model_command(
        sub, "generate", run_generate, help_text="continue a text or a time series with a trained model",
        description=GENERATE_DESCRIPTION,
    )
    seed = generate.add_mutually_exclusive_group()
    seed.add_argument("--seed", metavar="TEXT",
                      help="what to continue: text for a text model, a sequence of values for a series model")
    seed.add_argument("--seed-sample", type=non_negative_int, metavar="N",
                      help="continue validation sample N of the project's dataset (default 0)")
    generate.add_argument("--length", type=positive_int, default=None, metavar="N",
                          help=f"tokens (text) or steps (series) to generate (default {GENERATE_LENGTH})")
    generate.add_argument("--temperature", type=positive_float, default=None, metavar="T",
                          help="text only: below 1 picks likelier tokens, above 1 more varied ones (default 1)")
    generate.add_argument("--json", action="store_true", help="print one JSON object")


def run_predict(args) -> int:
    from core.inference import predict_sample

    bundle = open_bundle(args.model)
    x, y, source = chosen_sequence(args, bundle)
    prediction = predict_sample(bundle.model, bundle.info, x, y)
    if args.json:
        print(json.dumps({"source": source, **jsonable(prediction.to_dict())}), flush=True)
        return EXIT_OK
    say(f"{source}")
    say(f"input:       {prediction.decoded_input}")
    say(f"prediction:  {prediction.decoded_output}")
    if prediction.target is not None:
        say(f"target:      {prediction.target}")
    if prediction.accuracy is not None and prediction.probabilities and len(prediction.probabilities) > 1:
        say(f"accuracy:    {prediction.accuracy:.0%} of {len(prediction.probabilities)} steps")
    if prediction.probabilities:
        _say_probabilities(prediction.probabilities)
    return EXIT_OK


def _say_probabilities(steps: list) -> None:
    say("top classes:" if len(steps) == 1 else "top classes per step:")
    for i, step in enumerate(steps[:SHOWN_STEPS]):
        prefix = "  " if len(steps) == 1 else f"  {i + 1:>3}: "
        say(prefix + ", ".join(f"{name} {p:.3f}" for name, p in step))
    if len(steps) > SHOWN_STEPS:
        say(f"  ... {len(steps) - SHOWN_STEPS} more steps (use --json for all)")


def run_generate(args) -> int:
    from core.datasets import get_task

    bundle = open_bundle(args.model)
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
        seed_x, _, source = seed_sample(bundle_data(bundle), args.seed_sample or 0)
    if kind == "text":
        _generate_text(args, bundle, seed_x, source, length)
    else:
        _generate_series(args, bundle, seed_x, source, length)
    return EXIT_OK


def _generate_text(args, bundle, seed_x, source: str, length: int) -> None:
    import numpy as np

    from core.inference import generate_text

    info = bundle.info
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
        return
    say(f"seed ({source}): {seed_text}")
    say(f"generated:  {text}")


def _generate_series(args, bundle, seed_x, source: str, length: int) -> None:
    import numpy as np

    from core.inference import generate_series

    info = bundle.info
    seed_window = info.encode_input(args.seed) if seed_x is None else seed_x
    values = generate_series(bundle.model, info, np.asarray(seed_window), length)
    names = list(info.target_names) or [f"value {i + 1}" for i in range(values.shape[1])]
    if args.json:
        print(json.dumps({"kind": "series", "source": source, "length": len(values), "target_names": names,
                          "values": jsonable(values.tolist())}), flush=True)
        return
    say(f"seed: {source}")
    say("step  " + "  ".join(f"{n:>12}" for n in names))
    for i, row in enumerate(values):
        say(f"{i + 1:>4}  " + "  ".join(f"{fmt(float(v)):>12}" for v in row))
