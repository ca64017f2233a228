"""``lstmcast predict``: the forecast of a saved model, written as a CSV."""

from __future__ import annotations

from typing import Annotated

import typer

from lstmcast.cli.run import run_command
from lstmcast.core.errors import DataError

EXAMPLE = ("Example: lstmcast predict runs/a sales.csv --horizon 12 "
           "--out forecast.csv")


def predict(model_dir: Annotated[str, typer.Argument(help="Folder of a fitted "
                                                              "model.")],
            data: Annotated[str | None, typer.Argument(
                help="History to forecast from (default: the data seen by fit).")]
            = None,
            horizon: Annotated[int | None, typer.Option(
                "--horizon", "-h", help="Steps to forecast (default: the "
                "model's horizon).")] = None,
            out: Annotated[str, typer.Option("--out", "-o", help="CSV to write.")]
            = "forecast.csv",
            future: Annotated[str | None, typer.Option(
                "--future", help="CSV or Parquet file of the future covariates "
                "(fit --future-covariates) at the steps forecast: a time column "
                "and those columns.")] = None) -> None:
    """Forecast the steps after DATA (timestamps and values, original scale)."""
    run_command(lambda: _predict(model_dir, data, horizon, out, future))


def _predict(model_dir: str, data: str | None, horizon: int | None, out: str,
             future: str | None = None) -> None:
    import io as _io

    from lstmcast.core.persist import atomic_write_bytes
    from lstmcast.forecaster.estimator import LSTMForecaster
    if horizon is not None and horizon < 1:
        raise DataError(f"--horizon must be an int >= 1. Got {horizon} instead.")
    est = LSTMForecaster.load(model_dir)
    forecast = est.predict(horizon, data, future=future)
    frame = forecast.rename_axis("timestamp").reset_index()
    buffer = _io.StringIO()
    frame.to_csv(buffer, index=False)
    atomic_write_bytes(out, buffer.getvalue().encode())
    typer.echo(frame.to_string(index=False))
    typer.echo(f"written to {out}")
