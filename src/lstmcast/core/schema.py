"""Checking JSON read from a file against a schema of types and ranges.

A file that lstmcast wrote (a model folder, a checkpoint, a manifest) can be
damaged or forged; what is read from it is checked before it is used. A
schema is made of small specs (``integer(1, 10**6)``, ``text(CHOICES)``,
``listof(number())``, ``record({...})``) and :func:`validate` returns the
value or raises a DataError naming the file, the key (``fitted.window``),
what it must be and what it is.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from lstmcast.core.errors import DataError

Spec = Callable[[Any, str], Any]
"""A check of one value at a key path: returns the value or raises Invalid."""

MAX_TEXT = 10_000  # characters of any text value


class Invalid(Exception):
    """A value that does not fit its spec: where it is and what it must be."""

    def __init__(self, path: str, expected: str, value: Any) -> None:
        super().__init__(path, expected)
        self.path, self.expected, self.value = path, expected, value


def shown(value: Any, limit: int = 60) -> str:
    """A short repr of ``value`` for a message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def validate(value: Any, spec: Spec, where: str, fix: str) -> Any:
    """``value`` checked by ``spec``; a DataError naming ``where`` (the file),
    the key and ``fix`` when it does not fit."""
    try:
        return spec(value, "")
    except Invalid as bad:
        key = f"key {bad.path} " if bad.path else "its content "
        raise DataError(f"{where}: {key}must be {bad.expected}; got "
                        f"{shown(bad.value)}. {fix}") from None


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def integer(low: int | None = None, high: int | None = None) -> Spec:
    """An int (not a bool) in [low, high]."""
    def check(value: Any, path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or \
                (low is not None and value < low) or \
                (high is not None and value > high):
            raise Invalid(path, "an integer" + _range(low, high), value)
        return value
    return check


def number(low: float | None = None, high: float | None = None) -> Spec:
    """A finite number (an int or a float, not a bool) in [low, high]."""
    def check(value: Any, path: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or \
                not math.isfinite(value) or (low is not None and value < low) or \
                (high is not None and value > high):
            raise Invalid(path, "a finite number" + _range(low, high), value)
        return value
    return check


def _range(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f" from {low} to {high}"
    if low is not None:
        return f" >= {low}"
    return f" <= {high}" if high is not None else ""


def text(choices: tuple[str, ...] | None = None, max_len: int = MAX_TEXT) -> Spec:
    """A string (one of ``choices`` when given) of at most ``max_len`` chars."""
    def check(value: Any, path: str) -> str:
        if not isinstance(value, str) or len(value) > max_len:
            raise Invalid(path, f"a text of at most {max_len} characters", value)
        if choices is not None and value not in choices:
            raise Invalid(path, f"one of {', '.join(choices)}", value)
        return value
    return check


def boolean() -> Spec:
    """true or false."""
    def check(value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            raise Invalid(path, "true or false", value)
        return value
    return check


def nullable(spec: Spec) -> Spec:
    """null, or what ``spec`` accepts."""
    def check(value: Any, path: str) -> Any:
        return None if value is None else spec(value, path)
    return check


def either(*specs: Spec, expected: str) -> Spec:
    """What the first spec that accepts it makes of the value."""
    def check(value: Any, path: str) -> Any:
        for spec in specs:
            try:
                return spec(value, path)
            except Invalid:
                continue
        raise Invalid(path, expected, value)
    return check


def listof(spec: Spec, max_len: int | None = None) -> Spec:
    """A list whose items fit ``spec`` (at most ``max_len`` of them)."""
    def check(value: Any, path: str) -> list[Any]:
        if not isinstance(value, list) or (max_len is not None
                                           and len(value) > max_len):
            most = f" of at most {max_len} items" if max_len is not None else ""
            raise Invalid(path, f"a list{most}", value)
        return [spec(item, _join(path, i)) for i, item in enumerate(value)]
    return check


def mapping(spec: Spec, max_len: int | None = None) -> Spec:
    """An object whose values fit ``spec`` (its keys are any names)."""
    def check(value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict) or (max_len is not None
                                           and len(value) > max_len):
            raise Invalid(path, "an object", value)
        return {k: spec(v, _join(path, k)) for k, v in value.items()}
    return check


def record(required: dict[str, Spec], optional: dict[str, Spec] | None = None,
           *, extra: bool = False) -> Spec:
    """An object with the ``required`` keys, perhaps the ``optional`` ones,
    and (unless ``extra``) no other key."""
    optional = optional or {}

    def check(value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise Invalid(path, "an object", value)
        missing = [k for k in required if k not in value]
        if missing:
            raise Invalid(_join(path, missing[0]), "present", "nothing")
        unknown = [k for k in value if k not in required and k not in optional]
        if unknown and not extra:
            raise Invalid(_join(path, unknown[0]), "absent (an unknown key)",
                          value[unknown[0]])
        out = dict(value)
        for key, spec in (*required.items(), *optional.items()):
            if key in value:
                out[key] = spec(value[key], _join(path, key))
        return out
    return check


def anything() -> Spec:
    """Any JSON value (its depth and size were bounded when it was read)."""
    def check(value: Any, path: str) -> Any:
        return value
    return check
