"""Topics: one module per topic of the chapter, maths without plotting or file
input and output (a topic's figures are in ``topics.figures``). Imports from
``core`` only. ``autoencoder``, ``gaussian_kl``, ``vae`` and ``gan`` are
generated from their notebooks by ``python -m course_utils.tools.export``."""
