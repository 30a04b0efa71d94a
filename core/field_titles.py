"""How the window names a project field, and messages reworded to match.

Messages from core name fields by their dotted names (``training.clip_mode``): that is what
project files hold and what ``main.py train --set`` takes, so the command line shows them as they
are. The window shows the same field as "Gradient clipping" in its Training panel, so before a
message reaches a dialog or the status bar, ``window_wording`` puts each field's window title in
place of its dotted name: "enable clipping (Training › Gradient clipping)". Titles come from the
fields' ``FieldInfo`` labels (and a task parameter's ``ParamSpec`` label), which the panels show
next to each control.
"""

from __future__ import annotations

import re

from core.datasets import get_task, list_tasks
from core.errors import RNNLabError

# The window's panel (dock) for each section of a project.
SECTION_TITLES = {"dataset": "Dataset", "model": "Architecture", "training": "Training"}
SEPARATOR = " › "
_JSON_FILE = re.compile(r"\.json\b")
_DOTTED = re.compile(r"\b(dataset|model|training)\.(?:(params)\.)?([A-Za-z_][A-Za-z0-9_]*)\b")


def field_title(dotted: str, task: str | None = None) -> str:
    """The window's name for a field: ``training.clip_mode`` -> "Training › Gradient clipping".

    A task parameter (``dataset.params.window``) is named after ``task``'s parameter (after the
    first task that has one of that name when ``task`` is None or unknown). A name that is no
    field comes back unchanged.
    """
    match = _DOTTED.fullmatch(dotted)
    if match is None:
        return dotted
    title = _title(match, task)
    return dotted if title is None else title


def window_wording(text: str, task: str | None = None) -> str:
    """``text`` with each dotted field name replaced by its window title (see the module docstring).

    A message about a project file (it names a ``.json`` file) keeps the dotted name, which is the
    key to look for in that file, and adds the window title: "model.cell (Architecture › Cell)".
    """
    about_file = _JSON_FILE.search(text) is not None

    def replace(match: re.Match) -> str:
        title = _title(match, task)
        if title is None:
            return match.group(0)
        return f"{match.group(0)} ({title})" if about_file else title

    return _DOTTED.sub(replace, text)


def _title(match: re.Match, task: str | None) -> str | None:
    section, params, name = match.groups()
    if params:
        label = _param_label(name, task)
        return None if label is None else SECTION_TITLES[section] + SEPARATOR + label
    from core.specs import field_info  # core.specs imports the datasets, which import nothing of this

    try:
        info = field_info(f"{section}.{name}")
    except KeyError:
        return None
    return SECTION_TITLES[section] + SEPARATOR + info.label


def _param_label(name: str, task: str | None) -> str | None:
    tasks = []
    if task:
        try:
            tasks.append(get_task(task))
        except RNNLabError:
            pass
    tasks += list_tasks()
    for candidate in tasks:
        for param in candidate.params:
            if param.name == name:
                return param.label
    return None
