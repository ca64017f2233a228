"""`python -m lstmcast.cli`: the command line."""

from lstmcast.cli.app import main

main()
