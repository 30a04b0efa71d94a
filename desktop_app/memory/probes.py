"""The probe sample's states of one run, epoch by epoch, as the Memory tab replays them.

The training process sends the probe's states with every epoch end; which epochs are kept is
``core.history.History.add_probe``'s rule (an even grid over the whole run and the newest, so a
long run stays bounded), applied here to the live run too, so the slider offers the same epochs
during the run as in its saved bundle afterwards. Parsing a probe (lists into arrays) costs as
much as drawing it, so each kept epoch is parsed once, when first shown.
"""

from __future__ import annotations

import numpy as np

from core.history import History
from core.states import SequenceStates


class RunProbes:
    """Kept epochs of one run: ``epochs()``, ``states(epoch)``, ``connectivity_at(epoch)``."""

    def __init__(self, history: History | None = None):
        self._history = history if history is not None else History()
        self._parsed: dict[int, SequenceStates] = {}

    def add(self, epoch: int, probe: dict) -> None:
        """Record epoch ``epoch``'s probe (SequenceStates.to_dict()); older epochs may be dropped."""
        self._history.add_probe(int(epoch), probe)
        self._parsed = {e: s for e, s in self._parsed.items() if e in self._history.probes}

    def epochs(self) -> list[int]:
        return sorted(self._history.probes)

    def __bool__(self) -> bool:
        return bool(self._history.probes)

    def states(self, epoch: int) -> SequenceStates | None:
        if epoch not in self._history.probes:
            return None
        if epoch not in self._parsed:
            self._parsed[epoch] = SequenceStates.from_dict(self._history.probes[epoch])
        return self._parsed[epoch]

    def connectivity_at(self, epoch: int) -> tuple[int, np.ndarray] | None:
        """(epoch, C) of the newest kept epoch up to ``epoch`` whose probe carries connectivity (the
        training process computes it only on some epochs), or None."""
        with_c = [e for e in self.epochs() if e <= epoch and self._history.probes[e].get("connectivity") is not None]
        if not with_c:
            return None
        found = with_c[-1]
        return found, self.states(found).connectivity
