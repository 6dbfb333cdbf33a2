"""Interactive views for live demos, built from core ipywidgets only (7.7 and 8).

A view is three plain pieces, so that the logic can be tested without a browser:

- ``compute(**values) -> result``: the numbers (a plain function, tested directly);
- ``describe(result) -> str``: one line of HTML shown under the controls;
- ``draw(result) -> Figure``: an optional matplotlib figure.

:class:`LiveView` wires them to controls (sliders, drop-downs): every change of a
control recomputes ``result``, updates the readout and redraws the figure. The
figure is shown as a PNG in an ``Image`` widget rather than captured in an
``Output`` widget: it needs no running front end (tests can see it change), it is
saved with the widget state, and it avoids the output-capture races that can
stall headless execution (nbclient issue 312). A test drives it like a student
would::

    view = LiveView(kl_view, {"mu": slider("mu", 0, -3, 3)}, describe_kl)
    view.controls["mu"].value = 1.0      # or view.set(mu=1.0)
    assert view.result["kl"] == 0.5

Layout: up to three controls stand in a row above the figure (wrapping on a narrow
screen); more stand in a column of full-width sliders beside the figure (notebook
06's latent traversal), so that each slider can be dragged with a mouse and the
picture stays beside them. The figure is shown at its own size, never stretched.

Where no kernel runs (an exported HTML page or slide, GitHub), the view shows a
still of its first state: the figure, the readout and a line saying that it is
live in JupyterLab (``text/html`` beside the widget in its display data).
:attr:`LiveView.text` is the readout without markup, for ``print``.

First used in notebooks 01, 04, 05 and 06.
"""

from __future__ import annotations

import base64
import html
import io
import re
import struct
from collections.abc import Callable, Mapping
from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt

from course_utils.core.errors import CourseError


def slider(description: str, value: float, low: float, high: float,
           step: float = 0.01, fmt: str = ".2f") -> widgets.FloatSlider:
    """A float slider that updates when released (smooth on Binder and Colab).

    description: the label shown left of the slider.
    value, low, high, step: start value, range and step.
    fmt: the number format of the readout.
    """
    return widgets.FloatSlider(value=value, min=low, max=high, step=step,
                               description=description, continuous_update=False,
                               readout_format=fmt,
                               style={"description_width": "initial"})


def dropdown(description: str, options, value=None) -> widgets.Dropdown:
    """A drop-down list of ``options`` (the first is chosen unless ``value``)."""
    options = list(options)
    return widgets.Dropdown(options=options, value=value if value is not None
                            else options[0], description=description,
                            style={"description_width": "initial"})


#: The line under a still of a view, where no kernel can move its controls.
STILL_NOTE = ("A still of the interactive view as it first appeared; run the notebook "
              "in JupyterLab to move its controls.")
#: More controls than this stand in a column beside the figure.
ROW_CONTROLS = 3
#: The width of a control in a row (its label, track and readout).
CONTROL_WIDTH = "26em"


def html_to_text(markup: str) -> str:
    """The text of a line of HTML: tags dropped, entities decoded, spaces joined."""
    text = html.unescape(re.sub(r"<[^>]+>", "", markup))
    return re.sub(r"\s+", " ", text.replace("\xa0", " ")).strip()


def png_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) in pixels of a PNG, from its header; None if not a PNG."""
    if len(data) < 24 or not data.startswith(b"\x89PNG"):
        return None
    return struct.unpack(">II", data[16:24])


class LiveView(widgets.VBox):
    """Controls, a one-line readout and a figure, kept in step with each other.

    compute: ``compute(**values)`` returns the result (any object, usually a dict);
        the keyword names are the keys of ``controls``.
    controls: name -> widget with a ``value`` (e.g. :func:`slider`, :func:`dropdown`).
    describe: ``describe(result)`` returns the readout's HTML (default: ``str``).
    draw: ``draw(result)`` draws and returns a matplotlib figure (None: no figure).
    arrange: "row" (controls in a row above the figure), "column" (controls in a
        column beside it), or None: a row for up to three controls, else a column.

    After any change, ``result`` holds the latest result, ``readout.value`` the
    text shown, ``figure.value`` the PNG bytes of the figure, and ``error`` the
    message of a course error raised by ``compute`` for values it does not accept
    (shown in the readout instead of a traceback).
    """

    def __init__(self, compute: Callable[..., Any],
                 controls: Mapping[str, widgets.ValueWidget],
                 describe: Callable[[Any], str] | None = None,
                 draw: Callable[[Any], Any] | None = None,
                 arrange: str | None = None):
        if not controls:
            raise CourseError("LiveView needs at least one control.")
        bad = [name for name, c in controls.items() if not hasattr(c, "value")]
        if bad:
            raise CourseError(f"LiveView: the controls {bad} have no `value`; pass "
                              "sliders, drop-downs or other value widgets.")
        arrange = arrange or ("row" if len(controls) <= ROW_CONTROLS else "column")
        if arrange not in ("row", "column"):
            raise CourseError(f"LiveView: arrange must be 'row' or 'column', got "
                              f"{arrange!r}.")
        self.arrange = arrange
        self.compute = compute
        self.controls = dict(controls)
        self.describe = describe or str
        self.draw = draw
        self.readout = widgets.HTML()
        # never stretched to the output's width: its size is set from the PNG
        self.figure = widgets.Image(format="png", layout=widgets.Layout(
            max_width="100%", height="auto", align_self="flex-start"))
        self.result: Any = None
        self.error: str | None = None
        self.n_updates = 0
        self._paused = False
        self._first_still: str | None = None
        controls_box = self._arrange_controls(arrange)
        if arrange == "row":
            children = [controls_box, self.readout] + ([self.figure] if draw else [])
        else:
            side = widgets.VBox(([self.figure] if draw else []), layout=widgets.Layout(
                flex="0 1 auto", margin="0 0 0 1em"))
            children = [widgets.HBox([controls_box, side], layout=widgets.Layout(
                align_items="flex-start")), self.readout]
        super().__init__(children=children)
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.update()

    def _arrange_controls(self, arrange: str) -> widgets.Box:
        """The controls in a wrapping row, or in a column of full-width sliders."""
        if arrange == "row":  # each wide enough to drag (a track of ~250 px)
            for control in self.controls.values():
                control.layout.width = CONTROL_WIDTH
            return widgets.HBox(list(self.controls.values()),
                                layout=widgets.Layout(flex_flow="row wrap"))
        for control in self.controls.values():
            control.layout.width = "100%"
            if hasattr(control.style, "description_width"):  # tracks aligned
                control.style.description_width = "4em"
        return widgets.VBox(list(self.controls.values()), layout=widgets.Layout(
            width="26em", min_width="18em", flex="0 0 auto"))

    @property
    def text(self) -> str:
        """The readout as plain text (what ``print`` should show; no markup)."""
        return html_to_text(self.readout.value)

    def still_html(self) -> str:
        """HTML of the view as it is now: the figure, the controls' values, the
        readout, and :data:`STILL_NOTE`. Shown where no kernel runs."""
        settings = ", ".join(
            f"{html.escape(str(getattr(c, 'description', '') or name))} = "
            f"{html.escape(_short(c.value))}" for name, c in self.controls.items())
        parts = ['<div class="course-live-view-still">']
        if self.draw is not None and self.figure.value:
            width = (png_size(bytes(self.figure.value)) or (None,))[0]
            size = f' width="{width}"' if width else ""
            data = base64.b64encode(bytes(self.figure.value)).decode("ascii")
            parts.append(f'<img src="data:image/png;base64,{data}"{size} '
                         f'style="max-width: 100%; height: auto" alt="{settings}">')
        parts.append(f"<div>{settings}</div><div>{self.readout.value}</div>")
        parts.append(f"<p><em>{STILL_NOTE}</em></p></div>")
        return "".join(parts)

    def _repr_mimebundle_(self, **kwargs):
        """The widget's display data (ipywidgets 8), with a still of its first
        state as ``text/html`` and a plain-text one for where no widget shows."""
        parent = getattr(super(), "_repr_mimebundle_", None)
        bundle = parent(**kwargs) if parent else None
        if not bundle:
            return bundle
        if self._first_still is None:
            self._first_still = self.still_html()
        bundle = dict(bundle)
        bundle["text/html"] = self._first_still
        bundle["text/plain"] = f"{self.text}\n({STILL_NOTE})"
        return bundle

    def values(self) -> dict[str, Any]:
        """The controls' current values, by name."""
        return {name: control.value for name, control in self.controls.items()}

    def set(self, **values) -> Any:
        """Set controls by name (as a student moving them would), update once,
        and return the result."""
        unknown = set(values) - set(self.controls)
        if unknown:
            raise CourseError(f"LiveView.set: no control named {sorted(unknown)}; "
                              f"the controls are {sorted(self.controls)}.")
        self._paused = True  # one update for all the values, not one each
        try:
            for name, value in values.items():
                self.controls[name].value = value
        finally:
            self._paused = False
        self.update()
        return self.result

    def _on_change(self, _change) -> None:
        if not self._paused:
            self.update()

    def update(self) -> Any:
        """Recompute from the controls, refresh the readout and the figure."""
        try:
            result = self.compute(**self.values())
        except CourseError as err:
            self.error = str(err)
            self.readout.value = f"<span style='color:#D55E00'>{err}</span>"
            return self.result
        self.result, self.error = result, None
        self.n_updates += 1
        self.readout.value = self.describe(result)
        if self.draw is not None:
            self._redraw(result)
        return result

    def _redraw(self, result) -> None:
        fig = self.draw(result)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", bbox_inches="tight")
        plt.close(fig)  # shown once, in the widget, not again below the cell
        png = buffer.getvalue()
        size = png_size(png)
        if size:  # shown at its own width (at most the output's), not stretched
            self.figure.layout.width = f"{size[0]}px"
        self.figure.value = png


def _short(value) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)
