"""`python -m datagenflow`, the same as the `datagenflow` command."""

from datagenflow.cli import main

main()
