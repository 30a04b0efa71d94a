"""What one recurrent layer holds along one sequence: h(t), c(t) and the gates as heat-maps under
the decoded input, the input coloured by a chosen unit, and how often each gate saturates.

It shows a ``core.states.SequenceStates`` and computes nothing: the tab hands it the states of a
chosen sample (computed in a worker) or of the probe sample sent at every epoch end.
"""

from __future__ import annotations

import html

import numpy as np
from PySide6 import QtCore, QtWidgets

from core.gate_saturation import gate_saturation
from desktop_app.caption import Caption
from desktop_app.memory.heatmap import DIVERGING, UNIT, colors_for
from desktop_app.memory.saturation import SaturationStrip
from desktop_app.memory.state_maps import MapSpec, StateMaps

# (title, symbol) of every map a layer can have, in the order they are stacked.
MAP_NAMES = {
    "hidden": ("hidden state h(t): what the layer remembers", "h(t)"),
    "cell_state": ("cell state c(t): the LSTM's long-term memory", "c(t)"),
    "forget": ("forget gate f(t): 1 keeps c(t−1), 0 forgets it", "f(t)"),
    "input": ("input gate i(t): how much of the candidate is written", "i(t)"),
    "output": ("output gate o(t): how much of c(t) is shown as h(t)", "o(t)"),
    "update": ("update gate z(t): 1 keeps h(t−1), 0 takes the candidate", "z(t)"),
    "reset": ("reset gate r(t): how much of h(t−1) the candidate sees", "r(t)"),
    "candidate": ("candidate: the new content proposed at step t", "candidate"),
}
# The candidate is a tanh (−1..1); the other gates are sigmoids (0..1).
GATE_ORDER = ("forget", "input", "output", "update", "reset", "candidate")

CAPTION = ("Each row is one unit, each column one time step; blue is negative, red positive, white 0 "
           "(gates: white = closed, green = open). Move the mouse over a cell for its value. Click a "
           "unit's row to colour the input by that unit, as in Karpathy's figures: a unit that tracks "
           "something lights up wherever it is there.")


def map_specs(layer) -> list[MapSpec]:
    """The maps of one ``core.states.LayerStates``: h, then c (LSTM), then its gates."""
    specs = [MapSpec("hidden", *MAP_NAMES["hidden"], np.asarray(layer.hidden), DIVERGING)]
    if layer.cell_state is not None:
        specs.append(MapSpec("cell_state", *MAP_NAMES["cell_state"], np.asarray(layer.cell_state), DIVERGING))
    gates = dict(layer.gates or {})
    for name in [g for g in GATE_ORDER if g in gates] + sorted(set(gates) - set(GATE_ORDER)):
        title, symbol = MAP_NAMES.get(name, (f"{name} gate", name))
        specs.append(MapSpec(name, title, symbol, np.asarray(gates[name]),
                             DIVERGING if name == "candidate" else UNIT))
    return specs


def step_tokens(tokens: list[str], steps: int) -> tuple[list[str], bool]:
    """The tokens to write above ``steps`` columns, and whether they are the input's own.

    A decoder, or the repeated input of one-to-many, runs over the output steps: its columns
    are numbered instead.
    """
    if len(tokens) == steps:
        return list(tokens), True
    return [str(t) for t in range(1, steps + 1)], False


class MemoryView(QtWidgets.QWidget):
    """One layer's maps of a SequenceStates, with a layer chooser and the chosen unit."""

    unit_selected = QtCore.Signal(str, int)  # map key, unit from 0 (-1: none)

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.states = None
        self.selected: tuple[str, int] | None = None
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)

        bar = QtWidgets.QHBoxLayout()
        self.layer_label = QtWidgets.QLabel("Layer")
        bar.addWidget(self.layer_label)
        self.layer_combo = QtWidgets.QComboBox()
        self.layer_combo.setToolTip("Which recurrent layer (and direction or encoder/decoder) to show")
        self.layer_combo.currentIndexChanged.connect(self._on_layer_changed)
        bar.addWidget(self.layer_combo)
        self.selection_label = QtWidgets.QLabel("")
        self.selection_label.setWordWrap(True)
        bar.addWidget(self.selection_label, 1)
        self.clear_button = QtWidgets.QPushButton("Clear colouring")
        self.clear_button.setToolTip("Show the input without a unit's colours")
        self.clear_button.clicked.connect(lambda: self.select_unit(None, None))
        bar.addWidget(self.clear_button)
        layout.addLayout(bar)

        self.maps = StateMaps()
        self.maps.unit_clicked.connect(self.select_unit)
        scroll = QtWidgets.QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        holder = QtWidgets.QWidget()
        inner = QtWidgets.QVBoxLayout(holder)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.addWidget(self.maps)
        self.saturation = SaturationStrip()
        self.saturation_title = QtWidgets.QLabel("<b>Gate saturation</b> (all units and steps)")
        inner.addWidget(self.saturation_title)
        inner.addWidget(self.saturation)
        inner.addStretch(1)
        scroll.setWidget(holder)
        layout.addWidget(scroll, 1)
        layout.addWidget(Caption(CAPTION))
        self._show_nothing()

    # --- public API ------------------------------------------------------------------------

    def set_states(self, states) -> None:
        """Show ``states`` (a core.states.SequenceStates), keeping the layer and unit chosen."""
        self.states = states
        names = [layer.name for layer in states.layers]
        current = self.layer_combo.currentText()
        if names != [self.layer_combo.itemText(i) for i in range(self.layer_combo.count())]:
            blocker = QtCore.QSignalBlocker(self.layer_combo)
            self.layer_combo.clear()
            self.layer_combo.addItems(names)
            del blocker
            self.layer_combo.setCurrentIndex(names.index(current) if current in names else 0)
        several = len(names) > 1
        self.layer_label.setVisible(several)
        self.layer_combo.setVisible(several)
        self._draw()

    def clear(self) -> None:
        self.states = None
        self.selected = None
        self.layer_combo.clear()
        self._show_nothing()

    def layer(self):
        """The LayerStates shown, or None."""
        if self.states is None or not self.states.layers:
            return None
        index = max(0, self.layer_combo.currentIndex())
        return self.states.layers[min(index, len(self.states.layers) - 1)]

    def select_layer(self, name: str) -> None:
        index = self.layer_combo.findText(name)
        if index < 0:
            raise ValueError(f"no layer {name!r}; the layers are {[layer.name for layer in self.states.layers]}")
        self.layer_combo.setCurrentIndex(index)

    def select_unit(self, key: str | None, unit: int | None) -> None:
        """Colour the input by ``unit`` (from 0) of map ``key``; None clears the colouring."""
        spec = self.maps.specs.get(key) if key is not None else None
        if spec is None or unit is None or not 0 <= unit < spec.values.shape[1]:
            self.selected = None
        else:
            self.selected = (key, int(unit))
        self._color_tokens()
        self.unit_selected.emit(*(self.selected or ("", -1)))

    def token_colors(self) -> list[str]:
        return self.maps.token_row.colors()

    # --- drawing ---------------------------------------------------------------------------

    def _on_layer_changed(self, _index: int) -> None:
        if self.states is not None:
            self.selected = None
            self._draw()

    def _show_nothing(self) -> None:
        self.maps.clear_maps()
        self.maps.hide()
        self.saturation.set_shares({})
        self.saturation_title.hide()
        self.selection_label.setText("")
        self.clear_button.hide()
        self.layer_label.hide()
        self.layer_combo.hide()

    def _draw(self) -> None:
        layer = self.layer()
        if layer is None:
            self._show_nothing()
            return
        specs = map_specs(layer)
        tokens, _own = step_tokens(list(self.states.input_tokens), specs[0].values.shape[0])
        self.maps.show_maps(tokens, specs)
        self.maps.show()
        shares = gate_saturation(layer.gates)
        self.saturation.set_shares(shares)
        self.saturation_title.setVisible(bool(shares))
        if self.selected is not None and self.selected[0] not in self.maps.specs:
            self.selected = None
        self._color_tokens()

    def _color_tokens(self) -> None:
        if self.selected is None:
            self.maps.set_token_colors(None)
            self.maps.select_row(None, None)
            self.selection_label.setText("Click a unit's row to colour the input by its value."
                                         if self.maps.specs else "")
            self.clear_button.hide()
            return
        key, unit = self.selected
        spec = self.maps.specs[key]
        heat_map = self.maps.maps[key]
        self.maps.set_token_colors(colors_for(spec.values[:, unit], spec.scale, heat_map.levels))
        self.maps.select_row(key, unit)
        self.selection_label.setText(f"Input coloured by <b>{html.escape(spec.symbol)} of unit {unit + 1}</b> "
                                     f"(the colours of its map).")
        self.clear_button.show()
