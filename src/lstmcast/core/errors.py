"""The two exceptions lstmcast raises besides the built-ins.

Every message names the problem (column, rows, values) and the fix, so that the
command line can print it as is and exit with code 2.
"""

from __future__ import annotations


class DataError(ValueError):
    """Bad input: a file, column, value or setting that lstmcast cannot use."""


class DataWarning(UserWarning):
    """Legal but notable data (a constant covariate dropped, float32 precision
    at risk); the same text is among the ``notes`` of the loaded series."""


class NotFittedError(ValueError, AttributeError):
    """A fitted-only method was called before ``fit``."""

    @classmethod
    def of(cls, obj: object) -> NotFittedError:
        name = type(obj).__name__
        return cls(f"This {name} instance is not fitted yet. Call 'fit' first.")
