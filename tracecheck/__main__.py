"""`python -m tracecheck` runs the command-line interface."""

from tracecheck.cli import main

main()
