"""A model as plain data (its Keras config and weights), to cross a process boundary or a crash.

A file from elsewhere can ask for more memory than the machine has in ways no pre-check sees,
so the window reads model files in the training child process (``ProcessTrainer.call`` with
``read_model_file``): if reading it takes that process down, the window lives on. What comes
back is plain data, which the window turns into a model of its own (``model_from_payload``).
The recovery file keeps the trained models of a session the same way.

The config is Keras' own JSON (``model.to_json``), so any plain Keras model goes through, not
only RNN Lab's; Keras rebuilds it in safe mode. Keras is imported only inside the functions.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from core.course import optimizer_from_state, optimizer_state, restore_state
from core.errors import ModelFileError, RNNLabError


def model_payload(model: Any) -> dict[str, Any]:
    """``{"config": Keras JSON, "weights": [numpy arrays], "optimizer": state or None}`` of
    ``model``; the optimizer's state (``core.course``) lets Continue training carry on from it."""
    return {"config": model.to_json(), "weights": model.get_weights(),
            "optimizer": optimizer_state(getattr(model, "optimizer", None))}


def model_from_payload(payload: dict[str, Any], where: str = "the model", info: Any = None) -> Any:
    """The Keras model ``model_payload`` described, with its weights, compiled with its optimizer
    state if it had one (and the loss for ``info``'s data when given); a ModelFileError naming
    ``where`` if the config or the weights do not make a model."""
    from core.keras_files import keras_module

    keras = keras_module()
    try:
        model = keras.models.model_from_json(payload["config"])
        model.set_weights(payload["weights"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"{where} could not be rebuilt: {type(exc).__name__}: {exc}") from None
    state = payload.get("optimizer")
    if state:
        optimizer = optimizer_from_state(state)
        if info is not None:
            from core.models import loss_and_metrics

            loss, metrics = loss_and_metrics(info)
            model.compile(optimizer=optimizer, loss=loss, metrics=metrics)
        else:
            model.compile(optimizer=optimizer)
        restore_state(optimizer, model.trainable_variables, state)
    return model


def read_model_file(path: str | os.PathLike, kind: str) -> dict[str, Any]:
    """Load a bundle (``kind`` "bundle") or a plain .keras model ("keras") as plain data; run in
    the training child.

    ``{"project", "history", "info", "manifest": dicts, "model": payload}`` for a bundle,
    ``{"model": payload}`` for a .keras file. Every problem is a ModelFileError naming the file.
    """
    from core.bundles import load_bundle
    from core.keras_files import import_keras

    path = Path(path)
    try:
        if kind == "keras":
            return {"model": model_payload(import_keras(path))}
        bundle = load_bundle(path)
        return {
            "project": bundle.project.to_dict(),
            "history": bundle.history.to_dict() if bundle.history is not None else None,
            "info": bundle.info.to_dict(),
            "manifest": dict(bundle.manifest),
            "model": model_payload(bundle.model),
        }
    except RNNLabError:
        raise
    except Exception as exc:  # noqa: BLE001 - a library error while reading: the file's fault
        raise ModelFileError(f"{path}: could not be read: {type(exc).__name__}: {exc}") from None


def bundle_from_payload(path: str | os.PathLike, payload: dict[str, Any]) -> Any:
    """The ``core.bundles.Bundle`` that ``read_model_file`` described."""
    from core.bundles import Bundle
    from core.datasets import DataInfo
    from core.history import History
    from core.specs import Project

    history = payload["history"]
    info = DataInfo.from_dict(payload["info"])
    return Bundle(
        project=Project.from_dict(payload["project"]),
        model=model_from_payload(payload["model"], f"{path}: model.keras inside the bundle", info),
        history=History.from_dict(history) if history is not None else None,
        info=info,
        manifest=dict(payload["manifest"]),
    )
