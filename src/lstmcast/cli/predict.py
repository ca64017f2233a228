"""``lstmcast predict``: the forecast of a saved model, written as a CSV."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from lstmcast.cli.jsonout import emit_json, to_stdout
from lstmcast.cli.options import HISTORY_OPTIONS, JsonFile, with_options_of
from lstmcast.cli.run import run_command
from lstmcast.core.errors import DataError

EXAMPLE = ("Example: lstmcast predict runs/a sales.csv --horizon 12 "
           "--out forecast.csv")


@with_options_of(HISTORY_OPTIONS, default="as in the fit")
def predict(model_dir: Annotated[str, typer.Argument(
                metavar="RUN", help="Folder of a fitted model (fit's --out).")],
            data: Annotated[str | None, typer.Argument(
                metavar="DATA", help="History to forecast from (default: the "
                "data seen by fit).")] = None,
            horizon: Annotated[int | None, typer.Option(
                "--horizon", help="Steps to forecast (default: the model's "
                "horizon).")] = None,
            out: Annotated[str, typer.Option(
                "--out", "-o", metavar="FILE", help="CSV to write.")]
            = "forecast.csv",
            future: Annotated[str | None, typer.Option(
                "--future", metavar="FILE", help="CSV or Parquet file of the "
                "future covariates (fit --future-covariates) at the steps "
                "forecast: a time column and those columns.")] = None,
            json_file: JsonFile = None,
            **settings: Any) -> None:
    """Forecast the steps after DATA (timestamps and values, original scale).

    DATA is read as fit read its data (the same --sep, --decimal, --timezone,
    repair policies, ...); the data options here override them."""
    run_command(lambda: _predict(model_dir, data, horizon, out, json_file, settings,
                                 future))


def _predict(model_dir: str, data: str | None, horizon: int | None, out: str,
             json_file: str | None, settings: dict[str, Any],
             future: str | None = None) -> None:
    from lstmcast.core.persist import atomic_write_csv
    from lstmcast.forecaster.estimator import LSTMForecaster
    quiet = to_stdout(json_file)
    if horizon is not None and horizon < 1:
        raise DataError(f"--horizon must be an int >= 1. Got {horizon} instead.")
    given = {k: v for k, v in settings.items() if v is not None}
    if given and data is None:
        raise DataError(f"{', '.join('--' + k.replace('_', '-') for k in given)} "
                        "say how to read DATA, but no DATA was given: the model "
                        "forecasts from the data fit saw. Give the history file "
                        "after the model folder, or drop those options.")
    est = LSTMForecaster.load(model_dir)
    forecast = est.predict(horizon, None if data is None else est.read(data, **given),
                           future=future)
    frame = forecast.rename_axis("timestamp").reset_index()
    atomic_write_csv(out, frame)
    emit_json(json_file, {"forecast": [
        {"timestamp": str(stamp), "forecast": value}
        for stamp, value in zip(frame["timestamp"], frame["forecast"], strict=True)],
        "csv": out})
    if not quiet:
        typer.echo(frame.to_string(index=False))
        typer.echo(f"written to {out}")
