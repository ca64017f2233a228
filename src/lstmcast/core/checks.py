"""Argument checks shared by every room: a DataError naming the parameter,
what it must be and what was given."""

from __future__ import annotations

from typing import Any

import numpy as np

from lstmcast.core.errors import DataError


def check_choice(name: str, value: Any, choices: tuple[Any, ...]) -> None:
    """A DataError unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise DataError(f"The '{name}' parameter must be one of "
                        f"{', '.join(map(str, choices))}. Got {value!r} instead.")


def check_int(name: str, value: Any, low: int, fix: str = "") -> int:
    """``value`` as an int when it is an integer >= ``low`` (not a bool), else
    a DataError (``fix``, if given, is appended to the message)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) \
            or value < low:
        raise DataError(f"The '{name}' parameter must be an int >= {low}. "
                        f"Got {value!r} instead.{fix}")
    return int(value)
