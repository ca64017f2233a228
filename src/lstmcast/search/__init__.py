"""Choosing settings on validation, never on the test part: ``fit --auto``
(``auto`` and its ``candidates``), the R² ladder (``ladder``) and the Optuna
study (``tune``: its space, run, storage and result).

Imports evaluation and every room below it.
"""
