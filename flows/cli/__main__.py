"""``python -m flows.cli``: the ``textwash`` command."""

from flows.cli import main

main()
