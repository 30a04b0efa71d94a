"""A tab page whose content is built the first time it is shown or asked for.

The window has tabs a user may never open in a session (Evaluation, Sweeps): building their
plots and tables at start-up cost ~0.1 s of a ~1.4 s cold start, and their modules' imports more.
The feature that owns such a tab keeps its state in step only once the content exists, and brings
it up to date in its build function.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QVBoxLayout, QWidget


class LazyTab(QWidget):
    """An empty page until ``content()`` is called or the page is first shown."""

    def __init__(self, build: Callable[[], QWidget], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._build = build
        self._content: QWidget | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)

    @property
    def built(self) -> bool:
        return self._content is not None

    def content(self) -> QWidget:
        if self._content is None:
            self._content = self._build()
            self.layout().addWidget(self._content)
            # A child added to a page already on screen stays hidden unless shown; on a hidden
            # page it shows with the page.
            self._content.show()
        return self._content

    def showEvent(self, event) -> None:  # noqa: N802 - Qt API
        self.content()
        super().showEvent(event)
