"""Findings: what ``diagnose`` (before a fit) and ``explain`` (after it) report.

A finding is one observation with its numbers (``evidence``), advice in plain
words (``recommendation``) and, where the advice is a setting, the config
fields that implement it (``settings``, flat names from :mod:`lstmcast.core.config`,
e.g. ``{"difference": 1}``), so a person can read it and a program can apply it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["SEVERITIES", "Finding", "by_severity", "findings_frame", "json_ready"]

SEVERITIES = ("info", "warning", "problem")
"""From least to most serious: a fact, something to check, something wrong."""

_COLUMNS = ["severity", "code", "title", "evidence", "recommendation", "settings"]


def json_ready(value: Any) -> Any:
    """``value`` with numpy scalars and arrays as Python ones, NaN/inf as None,
    tuples as lists and floats rounded to 6 significant digits."""
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray | pd.Index):
        return [json_ready(v) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        value = float(value)
        return float(f"{value:.6g}") if math.isfinite(value) else None
    if value is None or isinstance(value, str):
        return value
    return str(value)  # time stamps and the like


@dataclass(frozen=True)
class Finding:
    """One observation about the data or a fit.

    Attributes
    ----------
    code : str
        Stable identifier, e.g. ``"random-walk"``; tests and programs key on it.
    severity : {"info", "warning", "problem"}
    title : str
        One line for people.
    evidence : dict
        The numbers behind the finding, JSON-ready.
    recommendation : str
        What to do, in plain words.
    settings : dict
        Config fields (flat names) that implement the recommendation; empty
        when the advice is not a setting.
    """

    code: str
    severity: str
    title: str
    evidence: dict[str, Any]
    recommendation: str
    settings: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"The 'severity' of a Finding must be one of "
                             f"{', '.join(SEVERITIES)}. Got {self.severity!r} "
                             "instead.")
        object.__setattr__(self, "evidence", json_ready(self.evidence))
        object.__setattr__(self, "settings", json_ready(self.settings))

    def to_dict(self) -> dict[str, Any]:
        """Every field as plain JSON-ready values."""
        return {"code": self.code, "severity": self.severity, "title": self.title,
                "evidence": dict(self.evidence),
                "recommendation": self.recommendation,
                "settings": dict(self.settings)}

    def __str__(self) -> str:
        return f"[{self.severity}] {self.title} {self.recommendation}"


def by_severity(findings: Iterable[Finding]) -> list[Finding]:
    """Most serious first; the original order within a severity."""
    rank = {s: i for i, s in enumerate(reversed(SEVERITIES))}
    return sorted(findings, key=lambda f: rank[f.severity])


def findings_frame(findings: Iterable[Finding]) -> pd.DataFrame:
    """One row per finding, most serious first.

    Columns: severity, code, title, evidence (``key=value`` text),
    recommendation, settings (``key=value`` text).
    """
    rows = [{"severity": f.severity, "code": f.code, "title": f.title,
             "evidence": _pairs(f.evidence),
             "recommendation": f.recommendation,
             "settings": _pairs(f.settings)} for f in by_severity(findings)]
    return pd.DataFrame(rows, columns=_COLUMNS)


def _pairs(values: dict[str, Any]) -> str:
    return ", ".join(f"{k}={_show(v)}" for k, v in values.items())


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list) and len(value) > 6:
        return "[" + ", ".join(map(_show, value[:6])) + ", ...]"
    if isinstance(value, list):
        return "[" + ", ".join(map(_show, value)) + "]"
    return str(value)
