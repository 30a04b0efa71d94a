"""Inside the network: the Memory tab (states, connectivity, step mode) and its widgets."""

from desktop_app.memory.tab import MemoryTab

__all__ = ["MemoryTab"]
