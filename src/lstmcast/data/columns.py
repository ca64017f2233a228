"""Which columns are the target, the time and the covariates (check 2 of loading).

:func:`resolve_columns` checks that the named columns exist (suggesting a close
name when one is misspelt) and are distinct, then detects the time column and
the target when they were not named, for :func:`lstmcast.data.loading.load`.
"""

from __future__ import annotations

import difflib

import pandas as pd
from pandas.api import types as ptypes

from lstmcast.core.errors import DataError
from lstmcast.data.messages import show
from lstmcast.data.timeparse import detect_time_column, is_integer_steps


def resolve_columns(frame: pd.DataFrame, target: str | None, time: str | None,
                    covs: tuple[str, ...], where: str, notes: list[str],
                    future: tuple[str, ...] = ()) -> tuple[str, str | None]:
    """Check the named columns exist, then detect the time and the target.
    ``future`` are the future covariates (inputs known in advance)."""
    columns = list(frame.columns)
    named = [("Target", target), ("Time", time)] + [("Covariate", c) for c in covs] \
        + [("Future covariate", c) for c in future]
    for role, name in named:
        if name is not None and name not in columns:
            raise missing_column(role, name, columns, where)
    both = sorted(set(covs) & set(future))
    if both:
        raise DataError(f"Column(s) {show(both)} are both covariates and future "
                        "covariates. Name each in one of --covariates (past "
                        "values only) or --future-covariates (known in advance).")
    covs = (*covs, *future)
    _check_distinct(target, time, covs)
    if time is None:
        time = detect_time_column(frame, {c for c in (target, *covs) if c})
    if target is None:
        target = _guess_target(frame, {time, *covs}, where)
    first = columns[0]
    if time is None and first not in (target, *covs) and is_integer_steps(
            frame[first]):
        time = first
        notes.append(f"Column '{first}' holds increasing whole numbers and is "
                     "used as the time steps.")
    return target, time


def missing_column(role: str, name: str, columns: list[str], where: str) -> DataError:
    lower = {c.lower(): c for c in columns}
    close = difflib.get_close_matches(name.lower(), list(lower), n=1, cutoff=0.6)
    hint = f" Did you mean '{lower[close[0]]}'?" if close else ""
    return DataError(f"{role} column '{name}' is not in {where}. Available "
                     f"columns: {show(columns, 20)}.{hint}")


def _check_distinct(target: str | None, time: str | None,
                    covs: tuple[str, ...]) -> None:
    if target is not None and target in covs:
        raise DataError(f"Column '{target}' is both the target and a covariate. "
                        "Drop it from the covariates.")
    if time is not None and time in (target, *covs):
        raise DataError(f"Column '{time}' cannot be the time column and also the "
                        "target or a covariate. Choose another time=NAME.")
    repeated = sorted({c for c in covs if covs.count(c) > 1})
    if repeated:
        raise DataError(f"Covariates named more than once: {show(repeated)}.")


def _guess_target(frame: pd.DataFrame, exclude: set[str | None], where: str) -> str:
    """The only column left, else the only numeric one; else say which could be."""
    columns = list(frame.columns)
    candidates = [c for c in columns if c not in exclude]
    if len(candidates) > 1 and candidates[0] == columns[0] and is_integer_steps(
            frame[columns[0]]):
        candidates = candidates[1:]  # a leading 0, 1, 2, ... column is the steps
    if len(candidates) == 1:
        return candidates[0]
    numeric = [c for c in candidates if ptypes.is_numeric_dtype(frame[c])
               and not ptypes.is_bool_dtype(frame[c])]
    if len(numeric) == 1:
        return numeric[0]
    if not numeric:
        raise DataError(f"No numeric column to forecast in {where} (columns: "
                        f"{show(columns, 20)}). Pass target=NAME (--target NAME).")
    raise DataError(
        f"Several numeric columns in {where} could be the target: "
        f"{show(numeric, 20)}. Choose one with target=NAME (--target NAME); "
        "others can be inputs with covariates=[...] (--covariates a,b).")
