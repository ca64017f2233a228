#!/usr/bin/env python3
"""Score one-step test forecasts from the numbers alone, independently of lstmcast.

Copied from the benchmark kit this project was measured with
(tools/score_predictions.py of the benchmark catalog), so that anyone can
recompute a fit's scores from its files; only this docstring and the line
lengths changed.

usage: score_predictions.py SERIES.csv TEST_PREDICTIONS.csv [--season S]

SERIES.csv: the original series (column `value`). TEST_PREDICTIONS.csv: columns
`actual` and one column per model (e.g. `lstm`, `naive`), one row per test
point, covering the last max(ceil(0.2 n), 24) points of the series (lstmcast's
default test part). Prints R², MAE, RMSE, MASE and skill vs naive
(1 - MSE / MSE of the last value) for every model column. Interval columns
(`lstm-lo-80`, `lstm-hi-95`, ...; lstmcast's addition) are not models: for
each model that has them, the coverage of every level and the MSIS (M4,
alpha 0.05, divided by the same scale as MASE) are printed below.
"""
import argparse
import math
import sys

import numpy as np
import pandas as pd


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("series")
    ap.add_argument("predictions")
    ap.add_argument("--season", type=int, default=1,
                    help="season length for MASE's scale")
    a = ap.parse_args()
    y = pd.read_csv(a.series)["value"].to_numpy(float)
    tp = pd.read_csv(a.predictions)
    n = len(y)
    n_test = max(math.ceil(0.2 * n), 24)
    k = n - n_test
    if len(tp) != n_test:
        print(f"{len(tp)} prediction rows; the protocol's test part has {n_test}",
              file=sys.stderr)
        return 2
    actual = y[k:]
    if not np.allclose(tp["actual"].to_numpy(float), actual, equal_nan=True):
        print("column `actual` differs from the last rows of the series",
              file=sys.stderr)
        return 2
    train = pd.Series(y[:k]).ffill().to_numpy()
    s = a.season
    scale = np.mean(np.abs(train[s:] - train[:-s]))
    naive_err = actual - y[k - 1:n - 1]
    print(f"{'model':<16}{'R2':>9}{'MAE':>12}{'RMSE':>12}{'MASE':>8}{'skill':>9}")
    bounds = [c for c in tp.columns if "-lo-" in c or "-hi-" in c or "-q-" in c]
    for col in tp.columns:
        if col in ("actual", "timestamp") or col in bounds:
            continue
        pred = tp[col].to_numpy(float)
        err = actual - pred
        r2 = 1 - np.sum(err**2) / np.sum((actual - actual.mean()) ** 2)
        skill = 1 - np.sum(err**2) / np.sum(naive_err**2)
        mae, rmse = np.mean(np.abs(err)), math.sqrt(np.mean(err**2))
        print(f"{col:<16}{r2:>9.4f}{mae:>12.4g}{rmse:>12.4g}{mae / scale:>8.3f}"
              f"{skill:>+9.3f}")
    for col in bounds:
        model, _, level = col.rpartition("-lo-")
        if not model or f"{model}-hi-{level}" not in tp:
            continue
        lo, hi = tp[col].to_numpy(float), tp[f"{model}-hi-{level}"].to_numpy(float)
        inside = np.mean((actual >= lo) & (actual <= hi)) * 100
        line = f"{model:<16}coverage {level}%: {inside:.2f}"
        if level == "95":
            score = (hi - lo) + 40 * np.clip(lo - actual, 0, None) \
                + 40 * np.clip(actual - hi, 0, None)
            line += f"  MSIS: {np.mean(score) / scale:.4f}"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
