"""Topics: one module per chapter topic."""
