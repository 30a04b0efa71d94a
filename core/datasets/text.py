"""Character-level next-character prediction on a built-in text or the user's .txt file.

The vocabulary is the sorted set of characters of the text. A text with very many different
characters is capped at ``max_vocabulary``: the rarest characters all become one replacement
character (U+FFFD, shown as a diamond with a question mark) so the output layer stays small.
The text is split in order (its last part for validation) before it is cut into windows.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from core.datasets.arrays import row_split
from core.datasets.base import (
    CLASSIFICATION,
    DataInfo,
    ParamSpec,
    SequenceData,
    WindowedTask,
    check_typed_steps,
    register_task,
)
from core.datasets.windows import Windows, segment_starts
from core.errors import DatasetError, SpecError
from core.files import read_user_text
from core.io_modes import ANY_LENGTH_MODES

RESOURCES = Path(__file__).resolve().parents[2] / "resources"
TEXTS = RESOURCES / "texts"
BUILTIN = "builtin:"
REPLACEMENT = "\ufffd"


def builtin_texts() -> list[str]:
    return sorted(p.stem for p in TEXTS.glob("*.txt"))


def resolve_path(value: str, field: str, folder: Path, suffix: str, kind: str) -> Path:
    """A "builtin:NAME" value names a file shipped in ``folder``; anything else is a path.

    Relative paths are tried against the working directory, then against the project folder
    (so example projects can say "resources/data/x.csv" from anywhere).
    """
    value = (value or "").strip()
    if not value:
        raise SpecError(field, value, f"a {kind} path or builtin:NAME")
    if value.startswith(BUILTIN):
        name = value[len(BUILTIN):].strip()
        path = folder / f"{name}{suffix}"
        if not path.is_file():
            names = sorted(p.stem for p in folder.glob(f"*{suffix}"))
            raise SpecError(field, value, "one of " + ", ".join(BUILTIN + n for n in names) + " or a file path")
        return path
    path = Path(value).expanduser()
    if not path.is_absolute() and not path.exists():
        shipped = RESOURCES.parent / path
        if shipped.exists():
            return shipped
    return path


def build_vocabulary(counts: Mapping[str, int], max_vocabulary: int) -> list[str]:
    """The characters in ``counts`` (character -> how often), sorted; beyond ``max_vocabulary``
    the most frequent ones plus the replacement character."""
    if len(counts) <= max_vocabulary:
        return sorted(counts)
    kept = sorted(counts, key=lambda ch: (-counts[ch], ch))[:max_vocabulary - 1]
    return sorted(kept + [REPLACEMENT])


# Characters are turned into numbers a chunk at a time (as UTF-32 code points), so that a text of
# a hundred megabytes is counted and encoded by numpy, not one Python call per character.
_CHUNK = 1 << 22


def _code_chunks(text: str):
    for i in range(0, len(text), _CHUNK):
        yield i, np.frombuffer(text[i:i + _CHUNK].encode("utf-32-le"), dtype=np.uint32)


def character_counts(text: str) -> dict[str, int]:
    counts = np.zeros(0, dtype=np.int64)
    for _, codes in _code_chunks(text):
        chunk = np.bincount(codes)
        if len(chunk) > len(counts):
            chunk[:len(counts)] += counts
            counts = chunk
        else:
            counts[:len(chunk)] += chunk
    return {chr(code): int(counts[code]) for code in np.flatnonzero(counts)}


def encode_characters(text: str, vocabulary: list[str], fallback: int | None) -> np.ndarray:
    """The id of each character of ``text`` (``fallback`` for one not in the vocabulary)."""
    codes = [ord(ch) for ch in vocabulary]
    table = np.full(max(codes) + 1, -1 if fallback is None else fallback, dtype=np.int32)
    table[codes] = np.arange(len(vocabulary), dtype=np.int32)
    ids = np.empty(len(text), dtype=np.int32)
    for start, chunk in _code_chunks(text):
        inside = chunk < len(table)
        ids[start:start + len(chunk)] = np.where(inside, table[np.where(inside, chunk, 0)],
                                                 -1 if fallback is None else fallback)
    return ids


@register_task
class TextTask(WindowedTask):
    name = "text"
    title = "Character-level text"
    description = (
        "Read a stretch of text one character at a time and predict the next character. The "
        "built-in texts were written for RNN Lab; you can also open any UTF-8 .txt file. After "
        "training, the model can write: it predicts a character, appends it, and goes on (the "
        "temperature sets how adventurous it is)."
    )
    lecture_note = (
        "The lecture's 'reading a book': each page needs the pages before it. Text generation is one "
        "of the listed RNN applications; the output at each step is fed back as the next input."
    )
    kind = CLASSIFICATION
    generation = "text"
    params = (
        ParamSpec("source", "path", "builtin:recurrence", "Text",
                  "builtin:recurrence or builtin:seasons (texts shipped with RNN Lab), or the path of "
                  "a UTF-8 .txt file."),
        ParamSpec("window", "int", 40, "Characters seen",
                  "How many characters the net reads before predicting the next one.",
                  minimum=2, maximum=2000),
        ParamSpec("stride", "int", 3, "Stride",
                  "Characters between the starts of two windows (1 uses every position; larger is "
                  "smaller and faster).", minimum=1, maximum=1000),
        ParamSpec("lowercase", "bool", False, "Lowercase",
                  "Lower-case the text first (a smaller vocabulary)."),
        ParamSpec("max_vocabulary", "int", 100, "Largest vocabulary",
                  "At most this many different characters; rarer ones become one replacement "
                  "character.", minimum=10, maximum=2000),
    )

    def load(self, params) -> tuple[str, str]:
        path = resolve_path(params["source"], "dataset.params.source", TEXTS, ".txt", "text file")
        text = read_user_text(path, "text file")
        if params["lowercase"]:
            text = text.lower()
        return text, path.name

    def build(self, params, io_mode, validation_split, seed) -> SequenceData:
        text, name = self.load(params)
        window = params["window"]
        if len(text) < window + 1:
            raise DatasetError(
                f"{name} has {len(text)} characters; a window of {window} needs at least {window + 1} "
                f"(the window plus the character to predict). Use a shorter window or a longer text."
            )
        counts = character_counts(text)
        vocab = build_vocabulary(counts, params["max_vocabulary"])
        index = {ch: i for i, ch in enumerate(vocab)}
        fallback = index.get(REPLACEMENT)
        ids = encode_characters(text, vocab, fallback)
        n_train = row_split(len(ids), window=window, horizon=1, validation_split=validation_split, source=name,
                            unit="characters")
        # Windows are cut on demand: a long text costs its characters in memory, not its windows.
        need, stride = window + 1, params["stride"]
        starts = [segment_starts([part], need=need, stride=stride) for part in ((0, n_train), (n_train, len(ids)))]
        x_tr, x_va = (Windows(ids, s, window) for s in starts)
        if io_mode == "many_to_many":
            y_tr, y_va = (Windows(ids, s + 1, window) for s in starts)
        else:
            y_tr, y_va = (ids[s + window] for s in starts)
        replaced = 0 if fallback is None else sum(n for ch, n in counts.items() if ch not in index)
        info = DataInfo(
            task=self.name, io_mode=io_mode, kind=CLASSIFICATION, input_kind="tokens",
            input_shape=(window,), output_shape=(window,) if io_mode == "many_to_many" else (),
            class_names=list(vocab), vocabulary=list(vocab), description=self.description,
            extra={"token_separator": "", "window": window, "source": name,
                   "characters": len(text), "train_characters": n_train,
                   "replacement": REPLACEMENT if fallback is not None else "", "replaced": replaced,
                   "lowercase": params["lowercase"], "input_example": text[:window]},
        )
        return SequenceData(x_tr, y_tr, x_va, y_va, info)

    def decode_output(self, info: DataInfo, y: np.ndarray) -> str:
        text = super().decode_output(info, y)
        # One character alone is unreadable when it is a space or a newline: quote it.
        return repr(text) if len(text) == 1 else text

    def encode_input(self, info: DataInfo, text: str) -> np.ndarray:
        """The typed text, padded with spaces on the left when shorter than the window; longer text
        whole where the model reads any length, else its last `window` characters."""
        text = (text or "").replace("\r\n", "\n")
        if info.extra.get("lowercase"):
            text = text.lower()
        index = {ch: i for i, ch in enumerate(info.vocabulary)}
        replacement = info.extra.get("replacement") or None
        unknown = sorted({ch for ch in text if ch not in index})
        if unknown and replacement is None:
            shown = "".join(ch for ch in info.vocabulary if ch.isprintable() and ch != " ")
            raise DatasetError(
                f"Characters not in the vocabulary: {', '.join(repr(ch) for ch in unknown[:10])}. "
                f"The model knows: {shown!r} plus spaces/newlines it saw."
            )
        window = info.input_shape[0]
        if not text:
            raise DatasetError("Type some text to start from.")
        if len(text) < window and " " in index:
            text = " " * (window - len(text)) + text
        if info.io_mode not in ANY_LENGTH_MODES:
            text = text[-window:]
        check_typed_steps(info, len(text), "characters")
        return np.array([index.get(ch, index.get(replacement)) for ch in text], dtype=np.int32)
