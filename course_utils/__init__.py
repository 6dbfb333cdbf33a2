"""Helpers for the course "Deep Generative Models" (chapter 7) as notebooks.

Modules, by concern (nothing runs on import):

- ``config``: ``setup()`` seeds everything, picks the device, the figure style and
  reports fast mode; ``pick(full, fast)``; ``seeded(seed)``; ``data_dir()``; the
  table of ``COURSE_*`` settings and their one parser, ``env_setting(name)``.
- ``data``: the bundled digits and Fashion-MNIST as tensors in [0, 1].
- ``training``: ``fit()``, the one training loop, and its ``History``.
- ``plotting``: image grids, latent scatter plots, loss curves.
- ``cache``: trained models cached as state dicts under ``data/models``.
- ``checks`` and ``exercises``: exercise checks with hints and solutions.
- ``widgets``: the interactive views (core ipywidgets, 7.7 and 8).
- ``linear``, ``objects``, ``models``, ``metrics``, ``divergences``, ``vae``,
  ``gan``: what the notebooks of each topic share with the tests and the benchmark.
- ``glossary`` and ``envcheck``: notebook 00's glossary and environment check.
- ``publish`` and ``colab``: Colab set-up, slides, an executed HTML copy.
- ``editions``: ``python -m course_utils.tools.editions`` writes the student edition.
- ``errors``: the course's errors, shown as one clear message in Jupyter.
"""

from course_utils.core.config import get_device, pick, seeded, set_seed, setup

__all__ = ["get_device", "pick", "seeded", "set_seed", "setup"]
__version__ = "0.1.0"
