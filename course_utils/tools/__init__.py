"""Tools: editions, publishing, Colab, the benchmark harness."""
