"""A plot's explanation: in full where its tab has room, one elided line where the plots need it,
and the user's own choice once they have used the arrow."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from desktop_app.caption import FULL_SHARE, Caption

TEXT = ("Backpropagation through time (BPTT): the error at the output flows back through every time step, "
        "from the last to t=1. Each curve is the norm of d loss / d x_t at the end of one epoch: how much the "
        "input at step t still moves the loss. A curve falling towards t=1 is the vanishing gradient.")


def tab_with_caption(show_widget, width: int, height: int) -> tuple[QtWidgets.QWidget, Caption]:
    tab = QtWidgets.QWidget()
    layout = QtWidgets.QVBoxLayout(tab)
    layout.addWidget(QtWidgets.QLabel("a plot"), 1)
    caption = Caption(TEXT)
    layout.addWidget(caption)
    show_widget(tab, width, height)
    return tab, caption


def test_a_short_tab_folds_the_explanation_to_one_line_and_a_tall_one_shows_it_whole(show_widget, qtbot):
    tab, caption = tab_with_caption(show_widget, 700, 250)
    assert caption.full_height(680) > FULL_SHARE * 250  # three lines or more: too much for this tab
    qtbot.waitUntil(lambda: not caption.is_expanded())
    shown = caption.shown_text()
    assert shown.endswith("…") and TEXT.startswith(shown[:-1].rstrip())
    assert caption.label.toolTip() == TEXT and caption.text() == TEXT  # nothing of it is lost
    qtbot.waitUntil(lambda: caption.height() < 2 * caption.fontMetrics().height())  # one line

    tab.resize(700, 900)
    qtbot.waitUntil(caption.is_expanded)
    assert caption.shown_text() == TEXT and caption.label.toolTip() == ""
    qtbot.waitUntil(lambda: caption.height() >= caption.full_height())


def test_the_arrow_shows_the_rest_and_the_users_choice_holds_whatever_the_size(show_widget, qtbot):
    tab, caption = tab_with_caption(show_widget, 700, 250)
    qtbot.waitUntil(lambda: not caption.is_expanded())
    assert caption.toggle.arrowType() == QtCore.Qt.ArrowType.RightArrow
    assert caption.toggle.toolTip() == "Show the whole explanation"

    caption.toggle.click()
    assert caption.is_expanded() and caption.shown_text() == TEXT
    assert caption.toggle.arrowType() == QtCore.Qt.ArrowType.DownArrow
    tab.resize(700, 240)
    qtbot.wait(20)
    assert caption.is_expanded()  # chosen: the room no longer decides

    caption.toggle.click()
    tab.resize(700, 1200)
    qtbot.wait(20)
    assert not caption.is_expanded() and caption.shown_text().endswith("…")


def test_a_folded_line_is_elided_again_at_each_width(show_widget, qtbot):
    tab, caption = tab_with_caption(show_widget, 900, 200)
    qtbot.waitUntil(lambda: not caption.is_expanded())
    wide = caption.shown_text()
    tab.resize(450, 200)
    qtbot.waitUntil(lambda: caption.shown_text() != wide)
    narrow = caption.shown_text()
    assert narrow.endswith("…") and len(narrow) < len(wide)
    assert caption.label.fontMetrics().horizontalAdvance(narrow) <= caption.label.width()


def test_an_explanation_the_user_opens_claims_its_height_from_the_layout(show_widget, qtbot):
    """A wrapped label reports one line as its minimum: opened in a short tab, the text ran over
    the plots instead of the splitter above giving the tab the room."""
    _tab, caption = tab_with_caption(show_widget, 700, 250)
    qtbot.waitUntil(lambda: not caption.is_expanded())
    caption.toggle.click()
    qtbot.waitUntil(lambda: caption.minimumSizeHint().height() >= caption.full_height())
    caption.toggle.click()
    assert caption.label.minimumHeight() == 0
    qtbot.waitUntil(lambda: caption.minimumSizeHint().height() < 2 * caption.fontMetrics().height())
