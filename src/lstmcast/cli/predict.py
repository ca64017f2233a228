"""``lstmcast predict``: the forecast of a saved model, written as a CSV."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from lstmcast.cli.jsonout import emit_json, to_stdout
from lstmcast.cli.options import HISTORY_OPTIONS, JsonFile, with_options_of
from lstmcast.cli.run import run_command
from lstmcast.core.errors import DataError

NO_BANDS = ("This global model has no interval calibration (saved before lstmcast "
            "gave prediction intervals): the forecast is points only. Fit it "
            "again for lo-/hi- columns.")
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
            levels: Annotated[str | None, typer.Option(
                "--levels", metavar="FLOAT,...", help="Prediction interval "
                "levels in percent: columns lo-80, hi-80, ... beside the "
                "forecast (none: points only). [default: as in the fit, 80,95]"
                )] = None,
            quantiles: Annotated[str | None, typer.Option(
                "--quantiles", metavar="FLOAT,...", help="Quantile levels, e.g. "
                "0.1,0.5,0.9: columns q-0.1, ... instead of the interval "
                "bounds.")] = None,
            json_file: JsonFile = None,
            **settings: Any) -> None:
    """Forecast the steps after DATA (timestamps and values, original scale).

    DATA is read as fit read its data (the same --sep, --decimal, --timezone,
    repair policies, ...); the data options here override them."""
    run_command(lambda: _predict(model_dir, data, horizon, out, json_file, settings,
                                 future, (levels, quantiles)))


def _bands_wanted(levels: str | None, quantiles: str | None
                  ) -> tuple[tuple[float, ...] | None, tuple[float, ...] | None]:
    """--levels and --quantiles checked as the config checks them (None: the
    model's own)."""
    from lstmcast.core.config import ForecastConfig
    model = ForecastConfig().replace(**{
        k: v for k, v in (("levels", levels), ("quantiles", quantiles))
        if v is not None}).model
    return (model.levels if levels is not None else None,
            model.quantiles if quantiles is not None else None)


def _predict(model_dir: str, data: str | None, horizon: int | None, out: str,
             json_file: str | None, settings: dict[str, Any],
             future: str | None = None,
             bands: tuple[str | None, str | None] = (None, None)) -> None:
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
    levels, quantiles = _bands_wanted(*bands)
    est = LSTMForecaster.load(model_dir)
    note = None
    if est.is_panel_:  # a global model: id, time, forecast for every series
        history = None if data is None else est.read_panel(data, **given)
        frame = est.predict(horizon, history, future=future, levels=levels,
                            quantiles=quantiles)
        if est.state_.calibration is None:
            note = NO_BANDS
    else:
        history = None if data is None else est.read(data, **given)
        frame = est.predict(horizon, history, future=future, levels=levels,
                            quantiles=quantiles).rename_axis(
            "timestamp").reset_index()
        from lstmcast.forecaster.bands import missing_note
        note = missing_note(est.state_)
    atomic_write_csv(out, frame)
    emit_json(json_file, {"forecast": [
        {str(k): _plain(v) for k, v in row.items()}
        for row in frame.to_dict("records")], "csv": out})
    if not quiet:
        shown = frame if len(frame) <= 60 else frame.head(60)
        typer.echo(shown.to_string(index=False))
        if len(frame) > len(shown):
            typer.echo(f"... {len(frame) - len(shown)} more rows in {out}")
        if note is not None:
            typer.echo(f"note: {note}")
        typer.echo(f"written to {out}")


def _plain(value: object) -> object:
    """A cell as JSON keeps it: numbers and text as they are, stamps as text."""
    value = value.item() if hasattr(value, "item") else value
    return value if isinstance(value, int | float | str) else str(value)

