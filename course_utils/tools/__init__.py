"""Tools: editions, the notebook-to-package export, publishing (badges, slides,
HTML), the notebook runner, the benchmark harness, Colab set-up and the GPU
check. Used from the command line and the tests, never by a notebook's lesson."""
