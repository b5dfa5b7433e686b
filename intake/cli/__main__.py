"""``python -m intake.cli``: the same as the ``cme-intake`` command."""

from intake.cli import main

main()
