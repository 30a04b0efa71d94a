"""Settings to start from when a user brings their own data.

Importing a CSV or a text file right after an example would otherwise keep that example's
network and optimiser: after "Exploding gradients tamed" a ReLU SimpleRNN trained by SGD at a
learning rate of 0.5, on which a real series blows up. ``starting_settings`` gives a network and
a training schedule that suit the data instead: a gated cell (LSTM) with tanh, Adam at a
moderate learning rate with the gradient norm clipped, early stopping when there is a
validation part, and about STEPS_WANTED gradient steps spread over the epochs.
"""

from __future__ import annotations

import dataclasses
import math

from core.datasets.base import DataInfo
from core.specs import ModelSpec, TrainingSpec

# Gradient steps a first run should take: enough to learn a plain series, few enough to finish
# in a minute or two on a laptop.
STEPS_WANTED = 3000
EPOCHS_RANGE = (10, 100)


@dataclasses.dataclass(frozen=True)
class StartingSettings:
    model: ModelSpec
    training: TrainingSpec
    summary: str  # what was chosen, in one sentence


def starting_settings(info: DataInfo, num_train: int, *, has_validation: bool = True,
                      current: TrainingSpec | None = None) -> StartingSettings:
    """A ModelSpec and TrainingSpec suited to ``info``'s data with ``num_train`` training samples.

    ``current``'s device and seed are kept: where to train and the seed are the user's choice,
    not a property of the data.
    """
    tokens = info.input_kind == "tokens"
    features = info.input_shape[-1] if info.input_shape and not tokens else 0
    if tokens:
        units = 128
    else:
        units = 64 if features > 8 or info.output_dim > 4 else 32
    embedding = 32 if tokens and info.vocab_size > 100 else 0
    model = ModelSpec(cell="LSTM", io_mode=info.io_mode, layers=1, units=units, activation="tanh", dropout=0.0,
                      recurrent_dropout=0.0, bidirectional=False, embedding_dim=embedding)

    batch = 32 if num_train <= 20_000 else 128 if num_train <= 200_000 else 512
    batches = max(1, math.ceil(num_train / batch))
    epochs = min(EPOCHS_RANGE[1], max(EPOCHS_RANGE[0], math.ceil(STEPS_WANTED / batches)))
    base = current or TrainingSpec()
    training = TrainingSpec(optimizer="adam", learning_rate=0.003, momentum=base.momentum,
                            clip_mode="global_norm", clip_value=1.0, epochs=epochs, batch_size=batch,
                            early_stopping=has_validation, patience=8, seed=base.seed, device=base.device)
    stopping = ", stopping early when the validation loss stalls for 8 epochs" if has_validation else ""
    summary = (f"LSTM with {units} units (tanh), Adam at learning rate 0.003 with the gradient norm clipped at 1, "
               f"batches of {batch}, up to {epochs} epochs{stopping}.")
    return StartingSettings(model, training, summary)
