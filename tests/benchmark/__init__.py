"""The course benchmark (run ``python -m tests.benchmark``; see ``__main__``).

Modules: ``runner`` (a notebook in a fresh kernel: time, CPU, peak memory, the
probe), ``recipe`` (the classic pytorch/examples VAE, the yardstick),
``quality`` (the course VAE against it; the linear AE ratio from notebook 02),
``report`` (targets, machine information, RESULTS.md and results.json). File
names do not start with ``test_``, so pytest does not collect them; their unit
tests are in ``tests/test_benchmark_tools.py``.
"""
