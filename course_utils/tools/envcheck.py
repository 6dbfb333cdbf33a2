"""The environment check of notebook 00: versions, device, and data sets."""

from __future__ import annotations

import importlib
import platform

from course_utils.core.config import get_device
from course_utils.core.data import SYSTEM_FASHION_DIR, fashion_available
from course_utils.core.paths import data_dir

PACKAGES = ("torch", "numpy", "matplotlib", "sklearn", "ipywidgets", "tqdm", "pooch")


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
    report["cache folder"] = str(data_dir())
    return report
