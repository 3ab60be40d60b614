"""``python -m unci`` runs the CLI."""

from unci.cli import main

main()
