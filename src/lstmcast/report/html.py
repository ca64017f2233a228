"""A self-contained HTML report: summary first, then the evidence.

One file, no network: CSS inline, figures embedded as base64 PNG;
:func:`write_page` writes it as ``report.html``, the only file a report writes.
"""

from __future__ import annotations

import base64
import html
import io
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from lstmcast.core.manifest import record
from lstmcast.core.persist import atomic_write_bytes
from lstmcast.report.runs import REPORT

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;
background:#f6f7f9;color:#1d2430}
main{max-width:1000px;margin:0 auto;padding:24px}
h1{font-size:1.6em;margin:0 0 4px} h2{font-size:1.2em;margin:28px 0 8px;
border-bottom:1px solid #d8dde5;padding-bottom:4px}
.sub{color:#5b6575;margin:0 0 16px}
.verdict{padding:14px 16px;border-radius:8px;font-size:1.05em;margin:12px 0}
.good{background:#e5f5e8;border-left:5px solid #2e9e44}
.bad{background:#fdecea;border-left:5px solid #d93025}
.meh{background:#fff6e0;border-left:5px solid #e8a200}
table{border-collapse:collapse;background:white;margin:8px 0;font-size:.92em}
th,td{padding:5px 10px;border-bottom:1px solid #e3e7ee;text-align:right}
th:first-child,td:first-child,td.t{text-align:left}
tr.lstm td{font-weight:600;background:#fff8f8}
figure{margin:12px 0;background:white;padding:8px;border-radius:6px}
figure img{max-width:100%;height:auto;display:block}
figcaption{color:#5b6575;font-size:.9em;margin-top:4px}
pre{background:white;padding:12px;border-radius:6px;overflow:auto;font-size:.85em}
.finding{background:white;border-radius:6px;padding:8px 12px;margin:8px 0}
.sev-problem{border-left:4px solid #d93025}.sev-warning{border-left:4px solid #e8a200}
.sev-info{border-left:4px solid #5b8def}
"""
METRIC_COLUMNS = [("r2", "R²"), ("mae", "MAE"), ("rmse", "RMSE"), ("mape", "MAPE %"),
                  ("smape", "sMAPE %"), ("mase", "MASE"),
                  ("skill_vs_naive", "skill vs naive")]


def figure_png(fig: Figure) -> str:
    """The figure as a base64 PNG data URI."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def esc(value: Any) -> str:
    return html.escape(str(value))


#: Interval scores shown beside the point scores when a model has them.
INTERVAL_COLUMNS = [("coverage_80", "coverage 80 %"), ("coverage_95", "coverage 95 %"),
                    ("msis", "MSIS"), ("crps", "CRPS")]


def metrics_table(metrics: dict[str, dict[str, Any]]) -> str:
    columns = METRIC_COLUMNS + [
        (key, title) for key, title in INTERVAL_COLUMNS
        if any(values.get(key) is not None for values in metrics.values())]
    head = "".join(f"<th>{esc(t)}</th>" for _, t in [("model", "model"), *columns])
    rows = []
    for model, values in metrics.items():
        cells = "".join(f"<td>{_num(values.get(k), k)}</td>" for k, _ in columns)
        css = ' class="lstm"' if model == "lstm" else ""
        rows.append(f"<tr{css}><td>{esc(model)}</td>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _num(value: Any, key: str) -> str:
    if value is None:
        return "undefined"
    return f"{value:+.3f}" if key in ("r2", "skill_vs_naive") else f"{value:.4g}"


def verdict_block(text: str, tone: str) -> str:
    return f'<div class="verdict {tone}">{esc(text)}</div>'


def findings_block(findings: list[dict[str, Any]]) -> str:
    if not findings:
        return "<p>No problems found.</p>"
    items = []
    for f in findings:
        evidence = ", ".join(f"{k} = {_short(v)}" for k, v in f.get("evidence",
                                                                      {}).items())
        items.append(f'<div class="finding sev-{esc(f["severity"])}"><b>'
                     f'{esc(f.get("title", f["code"]))}</b> '
                     f'<small>({esc(f["severity"])}, {esc(f["code"])})</small><br>'
                     f'{esc(evidence)}<br><i>Try:</i> {esc(f["recommendation"])}</div>')
    return "".join(items)


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def page(title: str, subtitle: str, sections: list[tuple[str, str]]) -> str:
    """Assemble the page from (heading, html body) sections."""
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    body = "".join(f"<section><h2>{esc(h)}</h2>{content}</section>" if h else content
                   for h, content in sections)
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width,initial-scale=1'>"
            f"<title>{esc(title)}</title><style>{CSS}</style></head><body><main>"
            f"<h1>{esc(title)}</h1><p class='sub'>{esc(subtitle)} · generated "
            f"{stamp} by lstmcast</p>{body}</main></body></html>")


def write_page(folder: Path, title: str, subtitle: str,
               sections: list[tuple[str, str]]) -> Path:
    """Write the page (see :func:`page`) as ``report.html`` of ``folder``, the
    one file a report writes, and record it in the folder's manifest when that
    lists every file; return its path."""
    path = folder / REPORT
    atomic_write_bytes(path, page(title, subtitle, sections).encode("utf-8"))
    record(folder, REPORT)
    return path


def figure_block(fig: Figure, caption: str) -> str:
    return (f"<figure><img alt='{esc(caption)}' src='{figure_png(fig)}'>"
            f"<figcaption>{esc(caption)}</figcaption></figure>")


def table(columns: list[str], rows: list[list[Any]], *, bold: str = "lstm") -> str:
    """A plain table; a row whose first cell is ``bold`` is highlighted. Floats
    are shown with 4 significant digits, None and NaN as "undefined"."""
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = []
    for row in rows:
        css = ' class="lstm"' if row and row[0] == bold else ""
        body.append(f"<tr{css}>" + "".join(
            f"<td{' class=t' if _is_text(v) else ''}>{esc(_cell(v))}</td>"
            for v in row) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _is_text(value: Any) -> bool:
    """Words (left-aligned), not numbers or number-like text (right-aligned)."""
    return isinstance(value, str) and " " in value and any(
        c.isalpha() for c in value)


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "undefined"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def pre_json(value: Any) -> str:
    return f"<pre>{esc(json.dumps(value, indent=2))}</pre>"


def require_files(folder: Path, names: tuple[str, ...], command: str) -> None:
    """A DataError unless ``folder`` holds every file of a finished
    ``lstmcast COMMAND`` run (the report is rebuilt from those files alone)."""
    for name in names:
        if not (folder / name).is_file():
            from lstmcast.core.errors import DataError
            raise DataError(f"{folder} has no {name}: give the --out folder of a "
                            f"finished `lstmcast {command}`.")
