"""Core: what every notebook stands on (settings, errors, data, training, cache,
results, plotting, widgets, exercise checks). Imports nothing from ``topics``
or ``tools``."""
