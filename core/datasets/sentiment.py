"""Short generated reviews -> positive or negative, with negation and "but".

The meaning of a clause is its adjective's polarity, flipped by "not" ("not bad" is positive).
A review may have a second clause after "but" that says the opposite, and then the second
clause decides. So word order matters: a bag of words cannot tell "good but not great" from
"not great but good".
"""

from __future__ import annotations

import re

import numpy as np

from core.datasets.arrays import split_in_order
from core.datasets.base import CLASSIFICATION, DataInfo, ParamSpec, SequenceData, Task, register_task, samples_param
from core.errors import DatasetError

PAD = "<pad>"
SUBJECTS = ("movie", "food", "service", "plot", "acting", "music", "staff", "room")
VERBS = ("is", "was", "seemed", "felt")
INTENSIFIERS = ("very", "really", "quite", "so")
PREFIXES = (("honestly",), ("overall",), ("i", "think"))
POSITIVE = ("good", "great", "excellent", "lovely", "nice", "wonderful", "tasty", "fun")
NEGATIVE = ("bad", "awful", "boring", "terrible", "poor", "dull", "bland", "horrible")
VOCABULARY = (PAD, "the", *SUBJECTS, *VERBS, *INTENSIFIERS, "not", "but", "honestly", "overall", "i",
              "think", *POSITIVE, *NEGATIVE)
CLASSES = ("negative", "positive")
# Longest review: "i think the movie was not very good but the plot was not very bad".
MAX_WORDS = 2 + 6 + 1 + 6


def clause_meaning(words: list[str]) -> int:
    """1 if a clause is positive: its adjective's polarity, flipped by "not"."""
    adjective = next(w for w in reversed(words) if w in POSITIVE or w in NEGATIVE)
    return int((adjective in POSITIVE) != ("not" in words))


def review_sentiment(words: list[str]) -> int:
    """The rule the data follows: the clause after the last "but" decides."""
    if "but" in words:
        words = words[len(words) - words[::-1].index("but"):]
    return clause_meaning(words)


@register_task
class SentimentTask(Task):
    name = "sentiment"
    title = "Sentiment"
    description = (
        "Short reviews from a vocabulary of 40 words, such as 'the food was not bad' (positive) or "
        "'the plot was great but the acting was really dull' (negative). Read the words and say "
        "whether the review is positive or negative. 'not' flips the adjective, and after 'but' the "
        "second half decides. Words enter as ids (one-hot, or a learned embedding if the model has "
        "one); short reviews are padded with <pad> (id 0) on the left by default, so the last step "
        "the net sees is the last word."
    )
    lecture_note = (
        "Many-to-one, the lecture's sentiment classification: a sequence of words in, one label out. "
        "A feed-forward net on word counts cannot handle 'not' and 'but'; a recurrent net reads in "
        "order and can."
    )
    kind = CLASSIFICATION
    natural_mode = "many_to_one"
    supported_modes = ("many_to_one",)
    accepts_typed_input = True
    params = (
        samples_param(1000, "Reviews", "generated reviews"),
        ParamSpec("negation_probability", "float", 0.4, "Chance of 'not'",
                  "Probability that a clause is negated with 'not'.", minimum=0.0, maximum=1.0),
        ParamSpec("contrast_probability", "float", 0.3, "Chance of 'but'",
                  "Probability that a review has a second, opposite clause after 'but'.",
                  minimum=0.0, maximum=1.0),
        ParamSpec("padding", "choice", "left", "Padding side",
                  "Where <pad> goes in short reviews. Left: the words end at the last step, best "
                  "without masking. Right: needed if the model masks padding and runs on cuDNN.",
                  choices=("left", "right")),
    )

    def build(self, params, io_mode, validation_split, seed) -> SequenceData:
        rng = np.random.default_rng(seed)
        n = params["samples"]
        x = np.zeros((n, MAX_WORDS), dtype=np.int32)
        y = np.zeros(n, dtype=np.int32)
        index = {w: i for i, w in enumerate(VOCABULARY)}
        for i in range(n):
            words, label = self._review(rng, params["negation_probability"], params["contrast_probability"])
            ids = [index[w] for w in words]
            if params["padding"] == "left":
                x[i, MAX_WORDS - len(ids):] = ids
            else:
                x[i, :len(ids)] = ids
            y[i] = label
        x_tr, y_tr, x_va, y_va = split_in_order(x, y, validation_split)
        info = DataInfo(
            task=self.name, io_mode=io_mode, kind=CLASSIFICATION, input_kind="tokens",
            input_shape=(MAX_WORDS,), output_shape=(), class_names=list(CLASSES),
            vocabulary=list(VOCABULARY), description=self.description,
            extra={"token_separator": " ", "pad_id": 0, "padding": params["padding"],
                   "input_example": "the food was not bad"},
        )
        return SequenceData(x_tr, y_tr, x_va, y_va, info)

    @staticmethod
    def _clause(rng, meaning: int, p_not: float) -> list[str]:
        negated = rng.random() < p_not
        adjectives = POSITIVE if bool(meaning) != negated else NEGATIVE
        words = ["the", SUBJECTS[rng.integers(len(SUBJECTS))], VERBS[rng.integers(len(VERBS))]]
        if negated:
            words.append("not")
        if rng.random() < 0.35:
            words.append(INTENSIFIERS[rng.integers(len(INTENSIFIERS))])
        words.append(adjectives[rng.integers(len(adjectives))])
        return words

    def _review(self, rng, p_not: float, p_but: float) -> tuple[list[str], int]:
        words: list[str] = []
        if rng.random() < 0.3:
            words.extend(PREFIXES[rng.integers(len(PREFIXES))])
        meaning = int(rng.integers(2))
        words.extend(self._clause(rng, meaning, p_not))
        if rng.random() < p_but:
            meaning = 1 - meaning
            words.append("but")
            words.extend(self._clause(rng, meaning, p_not))
        return words, meaning

    def decode_input(self, info: DataInfo, x: np.ndarray) -> str:
        pad = info.extra.get("pad_id", 0)
        return " ".join(info.vocabulary[int(t)] for t in np.asarray(x).reshape(-1) if int(t) != pad)

    def encode_input(self, info: DataInfo, text: str) -> np.ndarray:
        words = re.findall(r"[a-z<>]+", (text or "").lower())
        if not words:
            raise DatasetError(f"Type a short review, e.g. '{info.extra.get('input_example')}'.")
        index = {w: i for i, w in enumerate(info.vocabulary)}
        for word in words:
            if word not in index or word == info.vocabulary[info.extra.get("pad_id", 0)]:
                known = ", ".join(w for w in info.vocabulary if w in POSITIVE + NEGATIVE or w in ("not", "but"))
                raise DatasetError(f"Unknown word {word!r}. The {len(info.vocabulary) - 1} known words include: {known}, "
                                   f"the, {', '.join(SUBJECTS)}, {', '.join(VERBS)}.")
        length = info.input_shape[0]
        if len(words) > length:  # a shorter review is padded, as in training
            from core.datasets.base import check_typed_steps

            check_typed_steps(info, len(words), "words")
        ids = np.zeros(max(length, len(words)), dtype=np.int32)
        if info.extra.get("padding", "left") == "left":
            ids[len(ids) - len(words):] = [index[w] for w in words]
        else:
            ids[:len(words)] = [index[w] for w in words]
        return ids
