"""Matplotlib figures drawn from plain frames and dicts: forecasts, residuals,
learning curves, the split, decompositions (``plots``), and those of the
backtest, tune and ladder runs. Used by the results' ``.plot()`` and by the
reports; knows nothing of run folders or result objects.

Imports only core.
"""
