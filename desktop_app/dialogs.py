"""The window's dialogs: errors with details, the unsaved-changes prompt, About and the guide.

Error dialogs are opened without blocking (``QDialog.open``): a message about a bad file or an
impossible setting must not freeze a run that is training, and tests can read the dialog that is
showing. Only the unsaved-changes and quit-while-training prompts block, because their answer
decides what happens next; tests replace ``ask_unsaved_changes`` and ``ask_quit_while_training``
with functions returning the answer they want.
"""

from __future__ import annotations

import html
import platform
import re
import traceback
from typing import Literal

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QMessageBox,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from core.examples import EXAMPLES_DIR, list_examples

UnsavedAnswer = Literal["save", "discard", "cancel"]


def show_error(parent: QWidget | None, title: str, text: str, details: str = "", *,
               warning: bool = False) -> QMessageBox:
    """Open a non-blocking message box; ``details`` sits behind the "Show Details..." button."""
    box = QMessageBox(parent)
    box.setObjectName("errorDialog")
    box.setIcon(QMessageBox.Icon.Warning if warning else QMessageBox.Icon.Critical)
    box.setWindowTitle(title)
    box.setText(text)
    if details:
        box.setDetailedText(details)
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


def ask_unsaved_changes(parent: QWidget | None, what: str) -> UnsavedAnswer:
    """Ask whether to save ``what`` (e.g. "the trained model") before it is discarded."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Unsaved changes")
    box.setText(f"Save {what} before closing it?")
    box.setInformativeText("If you don't save, the training you did in this session is lost.")
    box.setStandardButtons(
        QMessageBox.StandardButton.Save
        | QMessageBox.StandardButton.Discard
        | QMessageBox.StandardButton.Cancel
    )
    box.setDefaultButton(QMessageBox.StandardButton.Save)
    # Keyboard users answer with Alt+S / Alt+D (Escape cancels); the platform texts have no mnemonics.
    box.button(QMessageBox.StandardButton.Save).setText("&Save")
    box.button(QMessageBox.StandardButton.Discard).setText("&Discard")
    answer = box.exec()
    if answer == QMessageBox.StandardButton.Save:
        return "save"
    if answer == QMessageBox.StandardButton.Discard:
        return "discard"
    return "cancel"


def ask_quit_while_training(parent: QWidget | None, what: str) -> Literal["quit", "resume"]:
    """Ask whether to stop the run and quit; ``what`` names the run and anything unsaved (the run is
    paused while the question is open). Escape resumes."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Quit while training")
    box.setText(what)
    box.setInformativeText("Stop and quit ends the run; what is not saved is lost. Resume goes on training.")
    stop = box.addButton("&Stop and quit", QMessageBox.ButtonRole.DestructiveRole)
    resume = box.addButton("&Resume", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(resume)
    box.setEscapeButton(resume)
    box.exec()
    return "quit" if box.clickedButton() is stop else "resume"


def ask_open_path(parent: QWidget | None, title: str, directory: str, filters: str) -> str:
    """A file to open, or "" if the user cancelled."""
    path, _selected = QFileDialog.getOpenFileName(parent, title, directory, filters)
    return path


def ask_save_path(parent: QWidget | None, title: str, suggested: str, filters: str) -> str:
    """Where to save, or "" if the user cancelled (the dialog asks before overwriting)."""
    path, _selected = QFileDialog.getSaveFileName(parent, title, suggested, filters)
    return path


class CrashDialog(QMessageBox):
    """Shown by the crash hook: a short message, the traceback behind "Show Details...".

    A bug that fires repeatedly (say in a timer) must not stack up dozens of dialogs, so the
    hook reuses the open dialog and appends each new traceback to its details.
    """

    _current: CrashDialog | None = None

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("crashDialog")
        self.setIcon(QMessageBox.Icon.Critical)
        self.setWindowTitle("Unexpected error")  # shown as "Unexpected error — RNN Lab"
        self.setStandardButtons(QMessageBox.StandardButton.Ok)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.count = 0
        self._details: list[str] = []
        self.destroyed.connect(CrashDialog._forget)

    @staticmethod
    def _forget(*_args) -> None:
        CrashDialog._current = None

    @classmethod
    def report(cls, parent: QWidget | None, exc_type, exc, tb) -> CrashDialog:
        dialog = cls._current
        if dialog is None:
            dialog = cls(parent)
            cls._current = dialog
        dialog.add(exc_type, exc, tb)
        if not dialog.isVisible():
            dialog.open()
        return dialog

    def add(self, exc_type, exc, tb) -> None:
        self.count += 1
        summary = "".join(traceback.format_exception_only(exc_type, exc)).strip()
        self._details.append("".join(traceback.format_exception(exc_type, exc, tb)))
        repeat = f" ({self.count} errors so far)" if self.count > 1 else ""
        self.setText(
            f"Something went wrong inside RNN Lab{repeat}. The app is still running; "
            "save your work if you can.\n\n" + summary
        )
        self.setDetailedText("\n".join(self._details))


def app_versions(tensorflow_version: str) -> dict[str, str]:
    """What About lists: RNN Lab, PySide6 and TensorFlow ("loading…" until it has loaded)."""
    versions = {"RNN Lab": _package_version()}
    try:
        import PySide6

        versions["PySide6"] = PySide6.__version__
    except (ImportError, AttributeError):
        pass
    versions["TensorFlow"] = tensorflow_version or "loading…"
    return versions


def _package_version() -> str:
    try:
        from importlib.metadata import version

        return version("rnn-lab")
    except Exception:  # noqa: BLE001 - not installed (run from a checkout)
        return "development"


def show_about(parent: QWidget | None, versions: dict[str, str]) -> QMessageBox:
    rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(v)}</td></tr>" for k, v in versions.items())
    box = QMessageBox(parent)
    # Qt appends the application's name to every title: "About — RNN Lab".
    box.setWindowTitle("About")
    icon = parent.windowIcon() if parent is not None else None
    if icon is not None and not icon.isNull():
        box.setIconPixmap(icon.pixmap(64, 64))
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setText(
        "<h3>RNN Lab</h3><p>Build, train and inspect recurrent neural networks without writing "
        "code: SimpleRNN, LSTM and GRU on small sequence tasks, with the gradients in view.</p>"
        f"<table cellspacing='6'>{rows}<tr><td>Python</td><td>{platform.python_version()}</td></tr></table>"
    )
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


LECTURE_GUIDE_HTML = """
<h2>The lecture in the app</h2>
<p>Each idea of the recurrent-networks lecture, and what to click in RNN Lab to see it happen.
Every example opens as a ready project: press <b>Train</b> (F5) and watch the <b>Training plots</b>.</p>

<h3>1. Why not feed-forward networks?</h3>
<p>A feed-forward network's output at <i>t</i> has no relation to what it saw at <i>t&minus;1</i>.
Open <b>Examples &rsaquo; Cooking schedule without memory (one-to-one)</b> and train: seeing one day's
weather alone, the accuracy stays near 1 in 3 (chance). Then open <b>Examples &rsaquo; Cooking schedule:
an RNN remembers yesterday's dish</b> (<b>many-to-many</b>) and train: the recurrent state carries
yesterday into today and the accuracy reaches 100&nbsp;%.</p>

<h3>2. The cooking and gym schedules</h3>
<p>The cook: a sunny day repeats yesterday's dish, a rainy day brings the next one (ice cream
&rarr; french fries &rarr; pizza). <b>Examples &rsaquo; Gym schedule</b> is the trainer's weekly plan
with <b>missed</b> days: after a gap you resume where you left off, so the network must remember
across it. The <b>Dataset</b> tab shows a sample decoded in words and the input and output shapes.</p>

<h3>3. Data as vectors</h3>
<p>In the <b>Dataset</b> preview of the cooking task, each column is one day's input vector: the
lecture's weather vector (sunny = [1, 0], rainy = [0, 1]) stacked on the dish vector (ice cream =
[1, 0, 0], french fries = [0, 1, 0], pizza = [0, 0, 1]); a blue cell is a 1. The target rows are the
dish vectors the network must output. <b>Examples &rsaquo; Weather</b> uses the lecture's weather vector
of numbers, [high, low, wind, rain, humidity] for each day (e.g. [67, 43, 13, 0.25, 0.83]).</p>

<h3>4. The recurrent cell</h3>
<p>Choose <b>SimpleRNN</b> in the <b>Architecture</b> tab: under the diagram it shows the lecture's
equations, h(t) = g<sub>h</sub>(w<sub>i</sub> x(t) + w<sub>R</sub> h(t&minus;1) + b<sub>h</sub>) and
y(t) = g<sub>y</sub>(w<sub>y</sub> h(t) + b<sub>y</sub>), with the activation g<sub>h</sub> you pick.
LSTM and GRU show their gated versions. The parameter count lists w<sub>i</sub>, w<sub>R</sub>, b per
layer, and <b>Show Keras code&hellip;</b> prints the same network as code.</p>

<h3>5. Training: back-propagation through time (BPTT)</h3>
<p>Training updates every weight by &Delta;w = &minus;&eta; &middot; &part;e/&part;w after each batch. The
<b>Gradient norms</b> plot shows the size of &part;e/&part;w for every layer, batch by batch; tick
<b>Per weight</b> to split it into w_i, w_R and bias. The <b>Gradient flow</b> plot is BPTT made
visible: after every epoch it draws how strongly the loss reacts to the input at each time step,
&part;loss/&part;x<sub>t</sub>, as the error flows back from the last step to t = 1.</p>

<h3>6. Vanishing gradients: ReLU, LSTM and GRU</h3>
<p>Open <b>Examples &rsaquo; Adding problem, T = 100, SimpleRNN</b> and train: its gradient flow falls by
many orders of magnitude towards t = 1, a hint under the plot says <i>vanishing at early steps: try
Cell &rarr; LSTM</i>, and the loss stays on the dashed line of the untrained baseline. The <b>Diagnosis</b>
under the plots names it, with the numbers, and <b>Apply and train</b> next to <i>Cell &rarr; LSTM</i> trains
the LSTM with the same seed, overlaid on the SimpleRNN. <b>Run &rsaquo; Compare cells</b> trains SimpleRNN,
LSTM and GRU on the same data and seed; the <b>Runs</b> tab lists them and selecting several overlays
their curves: the LSTM's flow stays open and its loss drops. The other remedy, the <b>ReLU</b>
activation, is in the Architecture tab.</p>

<h3>7. Exploding gradients: clipping and RMSprop</h3>
<p><b>Examples &rsaquo; Exploding gradients</b> (ReLU SimpleRNN, large learning rate): the gradient norms
enter the orange zone above 1e3, a hint says <i>exploding: try Gradient clipping &rarr; global_norm or
Optimizer &rarr; rmsprop</i> (the lecture's two cures), and if the loss
turns to NaN training stops there, keeping the last good weights. Apply the Diagnosis' first fix,
<i>Gradient clipping &rarr; global_norm</i>: the run stays finite, but the Diagnosis says it is <i>stable but
learns nothing</i>: the loss sits on the baseline line, because SGD's huge steps have pushed the ReLU units
where they output 0. Clipping alone is not the cure. <b>Examples &rsaquo; Exploding gradients
tamed</b> clips <i>and</i> takes adaptive steps (Adam, which scales each step like the lecture's RMSprop):
it stays stable and its validation loss falls far below the baseline.</p>

<h3>8. The I/O modes</h3>
<p>Change <b>I/O mode</b> in the Architecture tab and the diagram redraws the lecture's boxes:
<b>one-to-one</b> (a plain network), <b>one-to-many</b> (image captioning; <b>Examples &rsaquo; Sine
generation</b>), <b>many-to-one</b> (sentiment classification; <b>Examples &rsaquo; Sentiment</b>),
<b>many-to-many, encoder-decoder</b> (machine translation; <b>Examples &rsaquo; Reversal</b>) and
<b>many-to-many, aligned</b> (frame-level video classification; <b>Examples &rsaquo; Cooking schedule</b>).</p>

<h3>9. Applications: text and time series</h3>
<p><b>Examples &rsaquo; Character-level text</b> and <b>Examples &rsaquo; Sine waves</b>: train, then open the <b>Predict</b> tab
to type a start and let the network continue it, or to forecast the series some steps ahead.
<b>Import CSV&hellip;</b> in the Dataset tab brings your own sensor or stock series.</p>

<h3>10. Inside the network: what h(t) remembers, step by step</h3>
<p>Open <b>Examples &rsaquo; Cooking schedule with a 3-unit SimpleRNN</b>: the lecture's network,
h(t) = tanh(w<sub>i</sub> x(t) + w<sub>R</sub> h(t&minus;1) + b), with three hidden units, small enough
to follow by hand. Train it (30 epochs; the validation accuracy reaches 100&nbsp;%) and open the
<b>Memory</b> tab beside the Training plots. At the end of every epoch it shows the <i>probe
sample</i>, the first validation week: each day's weather along the top (day 1 also names the dish
served the day before the week) and under it h(t) as a heat-map, one row per unit and one column per
day, blue below 0 and red above. Drag the <b>epoch</b> slider back to epoch 1 and forward again to
watch the memory form: at first the units barely tell the days apart; once trained, each day's
column is the network's code for that day's dish, which y(t) reads out. Hover a cell for its number,
and click a unit's row to colour the days by that unit, as in Karpathy's figures of character-level
networks: you see on which days it fires.</p>
<p>Then open <b>Step through the equation</b> and press <b>Step</b>. Each click reads one more day:
for each unit the table gives w<sub>i</sub> x(t) (the push of today's weather), w<sub>R</sub> h(t&minus;1)
(what arrives from yesterday's state), b, their sum, and h(t) = tanh(sum), which the next step reads
back as h(t&minus;1); under the table y(t) names the dish. Compare a sunny day with a rainy one: the
weather term changes, the remembered term carries yesterday's dish, and together they give today's.
<b>Connectivity</b> colours how strongly each day's answer depends on each earlier day's input,
&#8214;&part;y(t<sub>out</sub>)/&part;x(t<sub>in</sub>)&#8214;: cells far left of the diagonal are long
memory. For an LSTM or GRU the Memory tab also draws c(t) and every gate, with how often each gate is
saturated (below 0.1 or above 0.9); select several runs in the <b>Runs</b> tab (after <b>Compare
cells</b>, say) to see their connectivity side by side.</p>

<h3>Keeping your work</h3>
<p><b>File &rsaquo; Save</b> writes a model bundle (<code>.rnnlab</code>: settings, weights and training
history); opening it shows the same plots and predictions. <b>Export .keras</b> hands the model
to plain Keras.</p>
"""


EXAMPLE_SCHEME = "example"
_EXAMPLE_REFERENCE = re.compile(r"<b>Examples &rsaquo; (.+?)</b>", re.DOTALL)


def link_examples(text: str) -> tuple[str, list[str]]:
    """Every "<b>Examples › TITLE</b>" made a link that opens the example whose title starts with
    TITLE (the first in the menu's order); the names of the examples linked."""
    examples = [(" ".join(example.title.split()), example.path.stem) for example in list_examples()]
    linked: list[str] = []

    def link(match: re.Match) -> str:
        title = " ".join(html.unescape(match.group(1)).split())
        name = next((stem for full, stem in examples if full.startswith(title)), None)
        if name is None:
            return match.group(0)
        linked.append(name)
        return f'<a href="{EXAMPLE_SCHEME}:{name}">{match.group(0)}</a>'

    return _EXAMPLE_REFERENCE.sub(link, text), linked


class LectureGuideDialog(QDialog):
    """A short guide that maps each idea of the lecture to what to do in the app; a click on an
    example's name opens it (``example_requested`` carries the project file)."""

    example_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("lectureGuide")
        self.setWindowTitle("The lecture in the app")
        self.resize(680, 640)
        layout = QVBoxLayout(self)
        self.browser = QTextBrowser(self)
        self.browser.setOpenExternalLinks(False)
        self.browser.setOpenLinks(False)  # example: links open a project, not a page
        text, self._linked = link_examples(LECTURE_GUIDE_HTML)
        self.browser.setHtml(text)
        self.browser.anchorClicked.connect(self._on_anchor_clicked)
        layout.addWidget(self.browser)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, parent=self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


    def example_links(self) -> list[str]:
        """The examples the guide links to, in the order they appear."""
        return list(self._linked)

    def _on_anchor_clicked(self, url: QUrl) -> None:
        if url.scheme() == EXAMPLE_SCHEME:
            self.example_requested.emit(str(EXAMPLES_DIR / f"{url.path()}.json"))


def open_lecture_guide(parent: QWidget | None) -> LectureGuideDialog:
    """Show the guide without blocking; it deletes itself when closed. Its example links open the
    example in ``parent``'s window."""
    dialog = LectureGuideDialog(parent)
    document = getattr(parent, "document", None)
    if document is not None:
        dialog.example_requested.connect(document.open_example)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
