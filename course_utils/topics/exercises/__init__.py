"""Exercise definitions, one module per notebook (``nb00``, ``nb01``, ...).

Each module defines ``Exercise`` objects named ``ex1``, ``ex2``, ... that the
notebook's check cells call, with a reference answer and known wrong answers that
``tests/test_exercises.py`` runs through every check.
"""
