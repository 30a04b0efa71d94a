"""The ready example projects in resources/examples/: which exist, their titles and their order.

The Examples menu follows the lecture, so examples are listed in ``EXAMPLE_ORDER``; any other
project dropped into the folder comes after them, by file name. A title is the project's own
``name``; a file that cannot be read is still listed (under a title made from its file name) so
that opening it tells the user what is wrong with it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "resources" / "examples"

EXAMPLE_ORDER = (
    "cooking", "cooking_feedforward", "cooking_3_units", "gym", "adding_simplernn", "adding_lstm",
    "exploding_gradients", "exploding_clipped", "text", "sine", "sine_generate", "sentiment", "echo", "reverse", "weather",
    "csv_weather", "csv_energy", "csv_activity",
)


@dataclass(frozen=True)
class Example:
    title: str
    path: Path


def example_title(path: Path) -> str:
    """The project's ``name``, else a readable form of the file name."""
    title = path.stem.replace("_", " ").replace("-", " ").strip().capitalize() or path.stem
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError, ValueError):
        return title
    if isinstance(data, dict) and isinstance(data.get("name"), str) and data["name"].strip():
        return data["name"].strip()
    return title


def list_examples(folder: Path = EXAMPLES_DIR) -> list[Example]:
    """Every ``*.json`` project in ``folder``, in the lecture's order."""
    def position(path: Path) -> tuple[int, str]:
        known = EXAMPLE_ORDER.index(path.stem) if path.stem in EXAMPLE_ORDER else len(EXAMPLE_ORDER)
        return known, path.name

    return [Example(example_title(path), path) for path in sorted(folder.glob("*.json"), key=position)]
