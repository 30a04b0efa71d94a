"""The names of the recurrent cells and input/output modes: a leaf module every layer can import.

Kept apart from core.specs so that the datasets (which name modes) do not depend on the project
schema, and the schema can depend on the dataset registry in one direction only.
"""

from __future__ import annotations

CELLS = ("SimpleRNN", "LSTM", "GRU")
IO_MODES = ("one_to_one", "one_to_many", "many_to_one", "many_to_many", "encoder_decoder")
IO_MODE_TITLES = {
    "one_to_one": "one-to-one",
    "one_to_many": "one-to-many",
    "many_to_one": "many-to-one",
    "many_to_many": "many-to-many (aligned)",
    "encoder_decoder": "many-to-many (encoder-decoder)",
}
# Modes whose model reads a sequence of any length (its input has no fixed time axis): a recurrent
# net applies the same cell at every step, so a week of 4 days is read as well as one of 7.
# One-to-one reads one step and one-to-many a single vector.
ANY_LENGTH_MODES = ("many_to_one", "many_to_many", "encoder_decoder")
