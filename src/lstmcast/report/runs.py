"""Which command wrote a run folder, and its report rebuilt from the files.

``write_report(run_dir)`` tells the kind of run from the files in it
(:func:`run_kind`: ``tune``, ``improve``, ``backtest``, ``diagnose``,
``panel`` or ``fit``) and writes ``report.html`` beside them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lstmcast.core.errors import DataError

REPORT = "report.html"
# (kind, file that marks it); tune and improve folders also hold a fit's files,
# and a panel fit's folder a metrics.json too
KINDS = (("tune", "tune.json"), ("improve", "ladder.json"),
         ("backtest", "backtest.json"), ("diagnose", "diagnosis.json"),
         ("panel", "per_series.csv"), ("fit", "metrics.json"))


def run_kind(run_dir: str | Path) -> str:
    """Which command wrote this folder: tune, improve, backtest, diagnose, or
    fit (``panel`` when it fitted a panel of series, else ``fit``)."""
    run = Path(run_dir)
    for kind, marker in KINDS:
        if (run / marker).is_file():
            return kind
    what = "does not exist" if not run.exists() else "holds no finished run"
    raise DataError(f"{run} {what}: give the --out folder of a finished `lstmcast "
                    "fit` (of one series or of a panel), `diagnose`, `backtest`, "
                    "`tune` or `improve` (it holds one of "
                    + ", ".join(f"{m} ({k})" for k, m in KINDS) + ").")


def write_report(run_dir: str | Path) -> Path:
    """Rebuild ``report.html`` of any run folder from its files; return its path."""
    kind = run_kind(run_dir)
    if kind == "tune":
        from lstmcast.report.tune import write_tune_report
        return write_tune_report(run_dir)
    if kind == "improve":
        from lstmcast.report.ladder import write_ladder_report
        return write_ladder_report(run_dir)
    if kind == "backtest":
        from lstmcast.report.backtest import write_backtest_report
        return write_backtest_report(run_dir)
    if kind == "diagnose":
        from lstmcast.report.diagnosis import write_diagnosis_report
        return write_diagnosis_report(run_dir)
    if kind == "panel":
        from lstmcast.report.panel import write_panel_report
        return write_panel_report(run_dir)
    from lstmcast.report.fit import write_fit_report
    return write_fit_report(run_dir)


def verdict(metrics: dict[str, dict[str, Any]]) -> tuple[str, str]:
    """A plain-words verdict on the LSTM against the baselines, and its tone."""
    lstm = metrics["lstm"]
    skill = lstm.get("skill_vs_naive")
    best_name, best = max(((m, v.get("r2")) for m, v in metrics.items()
                           if m != "lstm" and v.get("r2") is not None),
                          key=lambda item: item[1], default=(None, None))
    r2 = lstm.get("r2")
    r2_text = "undefined" if r2 is None else f"{r2:.3f}"
    if skill is None:
        return (f"R² of the LSTM is {r2_text}; skill against the naive forecast is "
                "undefined (the naive forecast is perfect on this test part).", "meh")
    if skill <= 0:
        return (f"The LSTM is no better than repeating the last value: its squared "
                f"error is {-skill:.0%} higher than the naive forecast's (R² "
                f"{r2_text}). Whatever R² says, use the naive forecast here, or "
                "model the changes of the series.", "bad")
    tail = ""
    if best is not None and r2 is not None and best > r2:
        tail = f" But {best_name} does better (R² {best:.3f})."
    tone = "meh" if tail else "good"
    return (f"The LSTM beats the naive forecast by {skill:.0%} in squared error "
            f"(R² {r2_text}).{tail}", tone)


def run_zone(facts: dict[str, Any] | None) -> str | None:
    """The time zone a run's stamps are shown in: the ``timezone`` of the
    config in ``facts`` (metrics.json, backtest settings), None when not set."""
    config = (facts or {}).get("config") or {}
    return (config.get("data") or {}).get("timezone")
