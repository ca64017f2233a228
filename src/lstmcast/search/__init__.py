"""Choosing settings on validation, never on the test part: ``fit --auto``
(``auto``, its ``candidates`` and how they train: ``training``), the R²
ladder (``ladder``) and the Optuna study (``tune``: its space, run, storage and result).

Imports evaluation and every room below it.
"""
