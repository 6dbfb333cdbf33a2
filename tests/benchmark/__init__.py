"""The course benchmark (run ``python -m tests.benchmark``; see ``__main__``).

The reusable harness lives in the package: ``course_utils.tools.benchmark``
(each notebook in a fresh kernel: time, CPU, peak memory, and the figures it
recorded with ``course_utils.core.results.record``) and
``course_utils.tools.benchmark_report`` (targets, machine information,
RESULTS.md and results.json). Here: ``recipe`` (the classic pytorch/examples
VAE, the yardstick, not course code), ``quality`` (the course VAE against it)
and ``__main__`` (the command line). File names do not start with ``test_``, so
pytest does not collect them; their unit tests are in
``tests/test_benchmark_tools.py``.
"""
