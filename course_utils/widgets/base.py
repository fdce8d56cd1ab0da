"""What every explorer shares: widget or static display, and quiet updates.

An explorer has a ``.widget`` (an ipywidgets box) that Jupyter shows when the
explorer is the last expression of a cell; with no widget front end (see
:mod:`course_utils.widgets.frontend`) it shows its static figure and HTML
read-out instead, and in a terminal its text.
"""

from __future__ import annotations

import contextlib
import html
import io
import re
from collections.abc import Iterator

from course_utils.style import OKABE_ITO
from course_utils.widgets.frontend import in_kernel

__all__ = ["Explorer", "error_html", "png"]


def png(fig) -> bytes:
    """A figure rendered as PNG bytes (independent of the matplotlib backend)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return buf.getvalue()


def error_html(message: str) -> str:
    """A message to the learner, in the course's warning colour."""
    return (f"<span style='color:{OKABE_ITO['vermillion']}'>"
            f"{html.escape(message)}</span>")


class Explorer:
    """Shared display logic: the widget when a front end exists, else static.

    Subclasses set ``widget``, ``static`` and ``message`` and define
    :meth:`figure` and :meth:`html`; typed input goes through :meth:`set_value`.
    """

    widget = None
    static: bool = True
    _syncing: bool = False

    @contextlib.contextmanager
    def _quietly(self) -> Iterator[None]:
        """Change controls from code without their observers reacting."""
        self._syncing = True
        try:
            yield
        finally:
            self._syncing = False

    def _bit_readouts(self, w) -> None:
        """The bit-pattern explorers' shared parts: a row of bit buttons (made
        by the subclass), the value read-out and the message line."""
        self.bits_box = w.HBox(layout=w.Layout(flex_flow="row wrap"))
        self.bit_buttons: list = []
        self.value_html = w.HTML()
        self.value_html.add_class("cu-value")
        self.message = w.HTML()
        self.message.add_class("cu-message")

    def _on_text(self, change) -> None:
        """A number typed by the learner: show it, or say what was wrong."""
        if self._syncing:
            return
        try:
            self.set_value(change["new"])
        except (ValueError, TypeError) as err:
            self.message.value = error_html(str(err))

    def set_value(self, value) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def figure(self):  # pragma: no cover - overridden
        raise NotImplementedError

    def html(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def text(self) -> str:
        """The read-out as plain text (HTML tags removed)."""
        s = re.sub(r"<br\s*/?>|</p>|</tr>|</div>", "\n", self.html())
        s = re.sub(r"</t[dh]>", "  ", s)
        return html.unescape(re.sub(r"<[^>]+>", "", s)).strip()

    def _ipython_display_(self) -> None:
        from IPython.display import HTML, Image, display

        if not self.static:
            display(self.widget)
        elif in_kernel():
            fig = self.figure()
            if fig is not None:
                display(Image(data=png(fig), format="png"))
            display(HTML(self.html()))
        else:  # terminal IPython: no images, plain text
            print(self.text())

    def __repr__(self) -> str:
        return self.text()
