"""The Predict tab, built the first time it is shown or asked for.

Building the Predict panel (its plots, pickers and generation box) cost 60-90 ms of a ~1.4 s
cold start, for a tab a user opens only once a model exists. Until it is built, the page keeps
what the panel would show: the model last set (with its data facts) or nothing, and whether a
run trains. File › New clears a model the session still holds as current, so the page keeps its
own record rather than asking the session when it builds.
"""

from __future__ import annotations

from typing import Any

from desktop_app.lazy_tab import LazyTab


class PredictPage(LazyTab):
    """``set_model``, ``clear``, ``set_busy`` and ``has_model`` as on the panel, built or not."""

    def __init__(self, parent=None) -> None:
        super().__init__(self._build_panel, parent)
        self._model_args: tuple[Any, Any, Any] | None = None
        self._busy = False

    def _build_panel(self):
        from desktop_app.predict_panel import PredictPanel

        panel = PredictPanel()
        if self._model_args is not None:
            panel.set_model(*self._model_args)
        panel.set_busy(self._busy)
        self._model_args = None  # the panel holds it from now on
        return panel

    def set_model(self, model: Any, info: Any, data: Any | None) -> None:
        if self.built:
            self.content().set_model(model, info, data)
        else:
            self._model_args = (model, info, data)

    def clear(self) -> None:
        if self.built:
            self.content().clear()
        else:
            self._model_args = None

    def set_busy(self, busy: bool) -> None:
        if self.built:
            self.content().set_busy(busy)
        else:
            self._busy = bool(busy)

    def has_model(self) -> bool:
        return self.content().has_model() if self.built else self._model_args is not None
