"""The ``cme-intake`` command line: a thin skin over the core, the store and the queries.

Exports :data:`app` (the typer app with every command registered) and :func:`main`.
"""

from intake.cli import keys, lifecycle, records, schools, services  # noqa: F401  (commands)
from intake.cli.app import app, main

__all__ = ["app", "main"]
