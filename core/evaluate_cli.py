"""``main.py evaluate MODEL.rnnlab [--split val|test] [--season N] [--json]``.

Rebuilds the bundle's dataset (a CSV must still be where the project says), predicts the chosen
split and prints the model's scores in the data's own units next to the naive baselines of
``core.evaluation``, with the skill against the best one. With ``--json`` the last line of stdout
is one object: ``{"split", "n", "metrics", "baselines", "best_baseline", "skill", ...}``.
"""

from __future__ import annotations

import json
from typing import Any

from core.cli_common import EXIT_OK, add_model_command, bundle_data, jsonable, open_bundle, say, whole_number
from core.errors import DatasetError

EVALUATE_DESCRIPTION = (
    "Score a model bundle on its validation (or test) part: RMSE, MAE, MAPE and R² in the "
    "data's own units, or accuracy, per-class F1 and the confusion matrix, next to naive "
    "baselines (persistence, seasonal naive, training mean; majority class, same as the "
    "previous step) computed on the same samples, and the skill against the best one."
)


def add_parser(sub: Any) -> None:
    """Register the ``evaluate`` command on the main parser's subcommands."""
    evaluate = add_model_command(
        sub, "evaluate", run, help_text="score a trained model in the data's units against naive baselines",
        description=EVALUATE_DESCRIPTION,
    )
    evaluate.add_argument("--split", choices=("val", "test"), default="val",
                          help="validation part (default) or the test part that training never saw "
                               "(needs dataset.test_split > 0)")
    evaluate.add_argument("--season", type=whole_number(2, "a whole number of rows"), default=None, metavar="ROWS",
                          help="the season of a series in rows for the seasonal naive baseline (default: found "
                               "in the training part's autocorrelation)")
    evaluate.add_argument("--json", action="store_true", help="end with one line: a JSON object of the scores")


def run(args) -> int:
    from core.evaluation import evaluate_model
    from core.model_fit import check_model_fits, same_shapes

    bundle = open_bundle(args.model)
    try:
        data = bundle_data(bundle)
    except DatasetError as exc:
        raise DatasetError(f"{args.model}: evaluation needs the model's data, which cannot be built: {exc}") from None
    if not same_shapes(bundle.info, data.info):
        raise DatasetError(f"{args.model}: the project's data no longer has the shapes the model was trained on "
                           f"(input {tuple(bundle.info.input_shape)}, now {tuple(data.info.input_shape)}): the data "
                           f"file changed since training.")
    check_model_fits(bundle.model, data.info, source=str(args.model))
    evaluation = evaluate_model(bundle.model, data, args.split, season=args.season)
    if args.json:
        print(json.dumps(jsonable(evaluation.to_dict())), flush=True)
        return EXIT_OK
    print_evaluation(evaluation, str(args.model))
    return EXIT_OK


def print_evaluation(evaluation, source: str) -> None:
    from core.evaluation import SPLIT_TITLES, skill_sentence, table_columns, table_rows
    from core.formatting import format_score

    split = SPLIT_TITLES.get(evaluation.split, evaluation.split)
    where = ""
    if evaluation.rows is not None and len(evaluation.rows):
        where = f", forecasting data rows {int(evaluation.rows[0]) + 1}-{int(evaluation.rows[-1]) + 1}"
    say(f"{source}: {split} part, {evaluation.n} samples{where}")
    columns = table_columns(evaluation)
    targets = evaluation.target_names if len(evaluation.target_names) > 1 else [None]
    for target in targets:
        rows = table_rows(evaluation, target)
        width = max(len(row.title) for row in rows) + 2
        say("")
        if target is not None:
            say(f"{target}:")
        say(" " * width + "".join(f"{heading:>12}" for _, heading in columns))
        for row in rows:
            title = row.title + (" *" if row.best else "")
            say(f"{title:<{width}}" + "".join(f"{format_score(key, row.values[key]):>12}" for key, _ in columns))
    say("")
    say("* the best baseline")
    say(skill_sentence(evaluation))
    if evaluation.kind == "classification":
        _print_classes(evaluation)
    for note in evaluation.notes:
        say(f"note: {note}")


def _print_classes(evaluation) -> None:
    from core.formatting import format_score

    names = evaluation.class_names
    per_class = evaluation.metrics["per_class"]
    width = max([len(n) for n in names] + [5]) + 2
    say("")
    say(f"{'class':<{width}}{'precision':>10}{'recall':>10}{'F1':>10}{'support':>10}")
    for name in names:
        scores = per_class[name]
        say(f"{name:<{width}}" + "".join(f"{format_score(k, scores[k]):>10}" for k in ("precision", "recall", "f1"))
             + f"{scores['support']:>10}")
    if len(names) > 20:
        say(f"(confusion matrix of {len(names)} classes: use --json)")
        return
    say("")
    say("Confusion matrix (rows: actual, columns: predicted)")
    cell = max([len(n) for n in names] + [len(str(max(max(r) for r in evaluation.metrics["confusion"])))]) + 2
    say(" " * width + "".join(f"{n:>{cell}}" for n in names))
    for name, counts in zip(names, evaluation.metrics["confusion"]):
        say(f"{name:<{width}}" + "".join(f"{c:>{cell}}" for c in counts))
