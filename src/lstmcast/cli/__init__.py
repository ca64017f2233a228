"""The command line: thin, it parses, calls the Python API, prints and writes
the report. ``app`` registers the commands, ``options`` declares the shared
options once, ``jsonout`` writes ``--json FILE``, ``run`` turns bad input into
exit code 2, ``show`` prints the tables, ``folders`` writes run folders whole,
one writer at a time, ``optionsdoc`` makes docs/options.md; one module per
command group.

The top room: it may import every other, and none imports it.
"""
