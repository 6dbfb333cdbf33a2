"""Core: what every notebook stands on."""
