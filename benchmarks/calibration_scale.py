"""What a single series' band widths are scaled by: the series' recent
changes, or the forecaster's own recent one-step errors (lstmcast's default
where the validation part has at least ERROR_SCALE_MIN origins), measured at
two origins on the catalog's series.

Each series is fitted once per origin by the default ``fit`` (``fit_auto``,
the catalog's covariates, one torch thread): at the earlier origin on the
series without its test part (its own last 20% then the test, the true test
part never read: where the choice was made), and at the catalog's origin on
the whole series (the catalog's test part: where it was checked). From the
same fit, its validation forecasts calibrate one-step conformal bands two
ways: each error divided by the mean absolute one-step change of the 24
values up to its origin ("changes", lstmcast before), or by the mean
absolute error of the forecaster's own one-step forecasts of the 24 rows up
to its origin ("errors": those rows' errors are known at the origin; the
first 24 validation rows only give the others their scale). A calibration
too short for the errors' scale, on the search's forward errors, or of a
model then trained on its validation tail too (``refit_tail``: its errors
there are in-sample) is the same both ways (marked "="). Scores as
benchmarks/intervals.py: coverage of the test points at 80 / 95 and MSIS over
the in-sample seasonal naive MAE with the catalog's season.

usage: python benchmarks/calibration_scale.py [--datasets DIR] [--jobs 2]
                                             [--only NAME ...]
"""

from __future__ import annotations

import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from intervals import (
    COVARIATES,
    LEVELS,
    SEASONS,
    catalog_parser,
    score,
    test_start,
)

BEGIN, END = "<!-- calibration-scale:begin -->", "<!-- calibration-scale:end -->"


def run(args: tuple[str, str, str]) -> dict:
    """Fit one series at one origin; score its bands both ways."""
    name, folder, origin = args
    os.environ["OMP_NUM_THREADS"] = "1"
    from dataclasses import replace

    from lstmcast.core.config import ForecastConfig
    from lstmcast.data.loading import load
    from lstmcast.forecaster import calibrate
    from lstmcast.search.auto import fit_auto
    series = load(Path(folder) / f"{name}.csv", target="value", time="timestamp",
                  covariates=COVARIATES.get(name, ()))
    if origin == "earlier":
        series = series.head(test_start(len(series)))
    cfg = ForecastConfig().replace(target="value", threads=1,
                                   covariates=COVARIATES.get(name, ()))
    started = time.perf_counter()
    result = fit_auto(series, cfg, refit=False)
    seconds = time.perf_counter() - started
    pred, y = result.predictions, series.y
    n_train = len(series) - len(pred)
    state = result.forecaster.state_
    made = state.calibration
    cals = {"errors": made, "changes": made}
    if made.scale == "errors":  # the same fit, its errors over the changes
        cals["changes"] = calibrate.calibrate(state, series.head(n_train),
                                              own_errors=False)
    rows = np.arange(n_train, len(series))
    point = pred["lstm"].to_numpy(float)
    scores = {}
    for label, cal in cals.items():
        local = calibrate.origin_scale(replace(state, calibration=cal), series,
                                       rows - 1)
        bands = {k: v[:, 0] for k, v in cal.bands(point[:, None], local,
                                                  LEVELS).items()}
        full = np.concatenate([y[:n_train], y[rows]])
        scores[label] = score(full, n_train, SEASONS[name],
                              {"point": point, **bands})
    same = ("forward errors" if made.source == "search" else
            "trained on its validation tail" if state.shape.n_fit == n_train
            and not calibrate.network_free(state) else "too few errors")
    return {"series": name, "origin": origin, "chosen": result.auto["chosen"],
            "source": made.source, "scale": made.scale, "same": same,
            "errors": int(made.counts()[0]), "n_test": len(rows),
            "seconds": seconds, "scores": scores}


def table(rows: list[dict], origin: str) -> str:
    lines = [f"| series ({origin} origin) | chosen | test n | calibration "
             "errors | changes: cov 80 / 95, MSIS | errors: cov 80 / 95, MSIS |",
             "|---|---|---:|---:|---:|---:|"]
    for r in rows:
        if r["origin"] != origin:
            continue
        cells = []
        for label in ("changes", "errors"):
            s = r["scores"][label]
            cells.append(f"{s['coverage_80']:.1f} / {s['coverage_95']:.1f}, "
                         f"{s['msis']:.2f}")
        if r["scale"] != "errors":
            cells[1] = f"= ({r['same']})"
        lines.append(f"| {r['series']} | {r['chosen']} | {r['n_test']} | "
                     f"{r['errors']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    args = catalog_parser().parse_args()
    names = args.only or list(SEASONS)
    load_start = os.getloadavg()
    started = time.perf_counter()
    jobs = [(n, args.datasets, o) for o in ("earlier", "catalog") for n in names]
    with ProcessPoolExecutor(args.jobs) as pool:
        rows = list(pool.map(run, jobs))
    seconds, load_end = time.perf_counter() - started, os.getloadavg()
    text = (f"{BEGIN}\n"
            "Made by `python benchmarks/calibration_scale.py` "
            f"({seconds:.0f} s, {args.jobs} fits at a time, one torch thread "
            f"each; load average {load_start[0]:.1f} at the start, "
            f"{load_end[0]:.1f} at the end). What a single series' one-step "
            "bands are scaled by, from the same fit: the series' mean absolute "
            "change over the 24 values up to each origin (changes), or the "
            "forecaster's mean absolute one-step error over the 24 rows up to "
            "it (errors: lstmcast's default where the validation part has at "
            "least 72 origins). The earlier origin is each series without its "
            "test part (the choice was made there); the catalog origin is the "
            "catalog's test part (checked there). Coverage in percent "
            "(nominal 80 / 95) and MSIS as in the table above. See the "
            "docstring of benchmarks/calibration_scale.py.\n\n"
            + table(rows, "earlier") + "\n\n" + table(rows, "catalog")
            + f"\n{END}")
    from sections import write_section
    write_section(text, BEGIN, END, "Prediction intervals: the scale of the errors")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
