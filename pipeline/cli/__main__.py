"""``python -m pipeline.cli``: the ``entrywatch`` command (tests and benches start it this way)."""

from pipeline.cli import app

app()
