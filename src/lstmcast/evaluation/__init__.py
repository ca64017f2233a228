"""Honest scores: the hold-out fit scored on the test part beside the baselines
(``holdout``: ``fit_evaluate``, ``FitResult``), the metrics (``metrics``),
what went wrong after a fit (``doctor``, with its one-batch probe ``onebatch``),
and time-series cross-validation
(``folds``, ``backtest``, ``backtest_result``). Results save their data with
``save(folder)``; the report room draws the page from those files.

Imports forecaster and every room below it.
"""
