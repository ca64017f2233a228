"""Interval levels and quantiles: checking them and naming their columns.

Columns follow Nixtla's naming (``lo-80``, ``hi-80``), so forecast files drop
into their tooling and into ``tools/score_panel.py``; quantile columns are
``q-0.1`` and so on. A level L (percent) is the central interval between the
quantiles ``(1 - L/100) / 2`` and ``1 - (1 - L/100) / 2``.
"""

from __future__ import annotations

from collections.abc import Iterable

from lstmcast.core.errors import DataError

DEFAULT_LEVELS = (80.0, 95.0)


def check_levels(levels: Iterable[float], *, name: str = "levels") -> tuple[float, ...]:
    """The levels sorted and without repeats; each strictly between 0 and 100."""
    out = []
    for level in levels:
        value = float(level)
        if not 0 < value < 100:
            raise DataError(
                f"The '{name}' setting takes percentages strictly between 0 and "
                f"100, e.g. 80,95. Got {level!r}.")
        out.append(value)
    return tuple(sorted(set(out)))


def check_quantiles(quantiles: Iterable[float], *, name: str = "quantiles"
                    ) -> tuple[float, ...]:
    """The quantile levels sorted and without repeats; each strictly between
    0 and 1."""
    out = []
    for q in quantiles:
        value = float(q)
        if not 0 < value < 1:
            raise DataError(
                f"The '{name}' setting takes probabilities strictly between 0 "
                f"and 1, e.g. 0.1,0.5,0.9. Got {q!r}.")
        out.append(value)
    return tuple(sorted(set(out)))


def label(value: float) -> str:
    """80.0 -> '80', 97.5 -> '97.5', 0.1 -> '0.1'."""
    return f"{value:g}"


def bound_columns(level: float) -> tuple[str, str]:
    """('lo-80', 'hi-80') for level 80."""
    return f"lo-{label(level)}", f"hi-{label(level)}"


def quantile_column(q: float) -> str:
    """'q-0.1' for the 0.1 quantile."""
    return f"q-{label(q)}"


def level_quantiles(level: float) -> tuple[float, float]:
    """The lower and upper quantile of a central interval: 80 -> (0.1, 0.9)."""
    tail = (1 - level / 100) / 2
    return tail, 1 - tail


def interval_columns(levels: Iterable[float]) -> list[str]:
    """Every level's two columns, lowest level first: lo-80, hi-80, lo-95, hi-95."""
    return [c for level in levels for c in bound_columns(level)]
