"""Tools: what lecturers and maintainers run, never the notebooks' lessons.

- ``editions``: the student edition (``python -m course_utils.tools.editions``).
- ``publish``: the publishing command line (``prepare``, ``assets``, ``slides``,
  ``html``), dispatching to ``links`` (addresses, the Colab cell), ``prepare``
  (badge, Colab cell, slide metadata), ``assets`` (reveal.js, MathJax) and
  ``site`` (slides and the executed HTML copy).
- ``execute``: the one notebook executor (fresh kernel, timed, memory sampled),
  used by ``site`` and by the benchmark.
- ``benchmark`` and ``benchmark_report``: the benchmark harness and its table
  (``python -m tests.benchmark``).
- ``notebooks``: reading notebook files and their cells (``cell_source``,
  ``cell_tags``).
- ``colab`` and ``envcheck``: installing on Colab; notebook 00's environment check.
"""
