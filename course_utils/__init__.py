"""Helpers for the course "Deep Generative Models" (chapter 7) as notebooks.

The package has three layers; a module imports only from its own layer or the
ones above it in this list, and nothing runs on import.

``course_utils.core``: what every notebook stands on
    ``config`` (``setup()``, ``pick``, ``seeded``, the one parser of the
    ``COURSE_*`` settings), ``errors`` (one clear message in Jupyter), ``arrays``
    (the one converter to NumPy), ``paths`` (the checkout, a writable cache),
    ``data`` (Fashion-MNIST and the digits),
    ``synthetic`` (every data set generated from a seed, with its density),
    ``training`` (``fit`` and its ``History``), ``cache`` (trained models, keyed
    on their code), ``results`` (numbers a notebook records for the benchmark),
    ``plotting``, ``widgets`` and ``checks`` (exercise checks).

``course_utils.topics``: one module per chapter topic, maths only
    ``pca`` (01, 02), ``autoencoder`` (03), ``elbo`` (04), ``kl`` and
    ``gaussian_kl`` (05), ``vae`` and ``likelihood`` (06), ``gan`` and ``modes``
    (07), ``quality`` (the sample-quality ruler of 03, 06, 07), ``glossary``
    (00), the exercises (``exercises.nbNN``) and the topics' own figures
    (``figures``). ``autoencoder``, ``gaussian_kl``, ``vae`` and ``gan`` are
    generated from the notebooks that teach them (``python -m
    course_utils.tools.export``): edit the notebook, not the module.

``course_utils.tools``: for maintainers and lecturers
    ``editions`` (the student edition), ``export`` (notebook cells to modules),
    ``publish`` with ``links``, ``notebooks``, ``prepare``, ``assets``, ``site``
    (badges, slides, an executed HTML copy), ``execute`` (the one notebook
    runner), ``benchmark`` and ``benchmark_report``, ``sweep`` (claims over
    seeds), ``colab``, ``envcheck``, ``gpu_check``.

Importing the package sets glibc's allocator to give large freed blocks back
to the system (``core.memory``), so that a kernel's memory follows what it
holds.
"""

from course_utils.core.config import get_device, pick, seeded, set_seed, setup
from course_utils.core.memory import compact_allocator as _compact_allocator

_compact_allocator()  # freed memory goes back to the system (core.memory)

__all__ = ["get_device", "pick", "seeded", "set_seed", "setup"]
__version__ = "0.1.0"
