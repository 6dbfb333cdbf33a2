"""The environment check of notebook 00: versions, device, and data sets."""

from __future__ import annotations

import importlib
import platform
from importlib import metadata

from course_utils.core.config import get_device
from course_utils.core.data import SYSTEM_FASHION_DIR, fashion_available
from course_utils.core.paths import data_dir

PACKAGES = ("torch", "numpy", "matplotlib", "sklearn", "ipywidgets", "tqdm", "pooch")

#: The first jupyterlab-widgets whose widget manager does not load in
#: jupyterlab-rise's slides (it needs JupyterLab's console module, which the slides
#: app does not share; jupyterlab-contrib/rise#119): no widget shows there.
SLIDES_BREAKING_WIDGETS = (3, 0, 11)


def _version(name: str) -> tuple[int, ...] | None:
    try:
        text = metadata.version(name)
    except metadata.PackageNotFoundError:
        return None
    return tuple(int(p) for p in text.split("+")[0].split(".")[:3] if p.isdigit())


def slides_widgets_status() -> str:
    """Whether widgets are live in JupyterLab's live slides here, and if not what
    to install."""
    rise, widgets = _version("jupyterlab-rise"), _version("jupyterlab-widgets")
    if rise is None:
        return "no live slides (pip install -r requirements.txt adds jupyterlab-rise)"
    if widgets is None:
        return "no widgets in JupyterLab (pip install -r requirements.txt)"
    shown = ".".join(map(str, widgets))
    if widgets >= SLIDES_BREAKING_WIDGETS:
        return (f"widgets will be MISSING from the live slides (jupyterlab-widgets "
                f"{shown}): pip install \"jupyterlab-widgets<3.0.11\", then restart "
                "JupyterLab")
    return f"live (jupyterlab-widgets {shown})"


def environment_report() -> dict[str, str]:
    """Versions of Python and the course's packages, the device, and which data
    sets can be read without a network. Missing packages are reported, not raised."""
    report = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            report[name] = importlib.import_module(name).__version__
        except ImportError:
            report[name] = "MISSING: pip install -r requirements.txt"
    report["device"] = str(get_device())
    report["digits (bundled with scikit-learn)"] = "available"
    report["Fashion-MNIST"] = (
        "available" if fashion_available() else
        f"not found (looked in {SYSTEM_FASHION_DIR} and {data_dir() / 'fashion-mnist'}"
        "); notebook 01 onwards will say how to get it")
    report["widgets in the live slides"] = slides_widgets_status()
    report["cache folder"] = str(data_dir())
    return report
