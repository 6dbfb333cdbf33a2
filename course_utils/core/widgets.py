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

First used in notebook 04 (Jensen's inequality) and notebook 05 (the Gaussian KL).
"""

from __future__ import annotations

import io
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


class LiveView(widgets.VBox):
    """Controls, a one-line readout and a figure, kept in step with each other.

    compute: ``compute(**values)`` returns the result (any object, usually a dict);
        the keyword names are the keys of ``controls``.
    controls: name -> widget with a ``value`` (e.g. :func:`slider`, :func:`dropdown`).
    describe: ``describe(result)`` returns the readout's HTML (default: ``str``).
    draw: ``draw(result)`` draws and returns a matplotlib figure (None: no figure).

    After any change, ``result`` holds the latest result, ``readout.value`` the
    text shown, ``figure.value`` the PNG bytes of the figure, and ``error`` the
    message of a course error raised by ``compute`` for values it does not accept
    (shown in the readout instead of a traceback).
    """

    def __init__(self, compute: Callable[..., Any],
                 controls: Mapping[str, widgets.ValueWidget],
                 describe: Callable[[Any], str] | None = None,
                 draw: Callable[[Any], Any] | None = None):
        if not controls:
            raise CourseError("LiveView needs at least one control.")
        bad = [name for name, c in controls.items() if not hasattr(c, "value")]
        if bad:
            raise CourseError(f"LiveView: the controls {bad} have no `value`; pass "
                              "sliders, drop-downs or other value widgets.")
        self.compute = compute
        self.controls = dict(controls)
        self.describe = describe or str
        self.draw = draw
        self.readout = widgets.HTML()
        self.figure = widgets.Image(format="png")
        self.result: Any = None
        self.error: str | None = None
        self.n_updates = 0
        self._paused = False
        children = [widgets.HBox(list(self.controls.values())), self.readout]
        super().__init__(children=children + ([self.figure] if draw else []))
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.update()

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
        self.figure.value = buffer.getvalue()
