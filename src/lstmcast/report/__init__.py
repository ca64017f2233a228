"""The HTML report of a run, built from the files of its folder only (``runs``:
which command wrote a folder, and ``write_report``); one module per kind of
run (fit, panel fit, diagnose, backtest, tune, improve) and the page parts
(``html``). Writes nothing but ``report.html``.

Imports figures and core only (it reads files, not result objects).
"""
