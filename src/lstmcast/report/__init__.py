"""The HTML reports, built from the files of a run folder only (any kind of
run: fit, diagnose, backtest, tune, improve); see :mod:`lstmcast.report.runs`."""
