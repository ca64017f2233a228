"""``lstmcast fit --id COLUMN``: one global model over a panel of series.

The panel is read in long format (:func:`lstmcast.data.panel_loading.load_panel_data`;
a broken series is left out with a note, never the run), scored as the M
competitions do (:func:`lstmcast.evaluation.panel.evaluate_panel`: the last H
values of every series beside naive, seasonal naive, Theta, damped ETS and
the dynamic optimised Theta),
refitted on all the data unless ``--no-refit``, and saved as one run folder.
Started by ``torchrun`` as N processes, they train the network data-parallel
(:mod:`lstmcast.network.data_parallel`) and only the first writes the folder.
"""

from __future__ import annotations

from pathlib import Path

from lstmcast.cli import show
from lstmcast.cli.folders import save_run, writing_run
from lstmcast.cli.jsonout import emit_json
from lstmcast.cli.run import progress_wanted
from lstmcast.core.config import ForecastConfig
from lstmcast.core.errors import DataError
from lstmcast.core.persist import read_json


def fit_panel_run(data: str, out: str, cfg: ForecastConfig, *, quiet: bool,
                  json_file: str | None, given: frozenset[str], force: bool,
                  refit: bool, resume: bool, checkpoint_every: int | None,
                  references: tuple[str, ...] = ()) -> None:
    """Read, score, refit and save a global model; print its summary."""
    from lstmcast.data.panel_loading import load_panel_data
    from lstmcast.evaluation.panel import evaluate_panel
    from lstmcast.network import data_parallel
    if resume or checkpoint_every is not None:
        raise DataError("--checkpoint-every and --resume checkpoint a one-series "
                        "fit; a global model (--id) is fitted in one go. Drop them.")
    if cfg.model.horizon < 1 or "horizon" not in given:
        raise DataError("A global model forecasts H steps of every series at once "
                        "and is scored on the last H values of each: give "
                        "--horizon H (e.g. --horizon 18 for monthly data, as in "
                        "the M3 competition).")
    panel = load_panel_data(data, cfg.data)
    with data_parallel.joined():  # under torchrun: train the network together
        if not data_parallel.is_main():  # the same fit: trains, writes nothing
            evaluate_panel(panel, cfg, refit=refit, given=given, progress=False,
                           references=references)
            return
        with writing_run(out, "fit", force=force):
            result = evaluate_panel(panel, cfg, refit=refit, given=given,
                                    progress=progress_wanted(quiet),
                                    references=references)
            save_run(out, result.save)
    emit_json(json_file, read_json(Path(out) / "metrics.json"))
    if not quiet:
        show.print_panel(result, out)

