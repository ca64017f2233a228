"""The M3 benchmark's scores and verdict (benchmarks/competitions.py), and the
section writer every benchmark shares, on hand-computed examples."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import competitions
from sections import write_section


def test_smape_is_the_mean_of_200_abs_error_over_abs_sum():
    y, f = np.array([100.0, 200.0]), np.array([110.0, 180.0])
    assert competitions.smape(y, f) == pytest.approx((2000 / 210 + 4000 / 380) / 2)


@pytest.mark.parametrize(
    ("x", "m", "scale"),
    [
        ([1, 3, 2, 6, 5], 2, 7 / 3),  # |2-1|, |6-3|, |5-2|
        ([1, 3, 2, 6, 5], 5, 2.0),  # not longer than m: m = 1
        ([4, 4, 4, 4], 1, math.nan),  # constant: no scale
    ],
)
def test_mase_scale_uses_the_seasonal_difference_of_the_in_sample_part(x, m, scale):
    got = competitions.mase_scale(np.array(x, float), m)
    assert got == pytest.approx(scale, nan_ok=True)


def test_score_averages_over_series_and_counts_missing_points():
    train = pd.DataFrame(
        {
            "unique_id": ["a"] * 3 + ["b"] * 3,
            "ds": [1, 2, 3] * 2,
            "y": [1.0, 2.0, 3.0, 10.0, 14.0, 12.0],
        }
    )
    test = pd.DataFrame(
        {
            "unique_id": ["a", "a", "b", "b"],
            "ds": [4, 5, 4, 5],
            "y": [4.0, 5.0, 12.0, 12.0],
        }
    )
    forecast = pd.DataFrame(
        {"unique_id": ["a", "a", "b"], "ds": [4, 5, 4], "forecast": [4.0, 4.0, 15.0]}
    )
    got = competitions.score(train, test, forecast, m=1)
    smape_a, smape_b = (0 + 200 / 9) / 2, 200 * 3 / 27
    mase_a, mase_b = 0.5 / 1.0, 3 / 3.0  # scales: mean |diff| 1 and 3
    assert got["smape"] == pytest.approx((smape_a + smape_b) / 2)
    assert got["mase"] == pytest.approx((mase_a + mase_b) / 2)
    assert (got["series_scored"], got["missing_points"]) == (2, 1)


def entries(**smapes: float) -> dict:
    return {k: {"smape": v} for k, v in smapes.items()}


def test_the_monthly_bar_needs_every_anchor_beaten_and_at_most_13_5():
    anchors = {k: 14.0 for k in competitions.METHODS if k != "lstmcast"}
    assert "**met**" in competitions.bar("monthly", entries(lstmcast=13.4, **anchors))
    assert "**not met**" in competitions.bar(
        "monthly", entries(lstmcast=13.6, **anchors)
    )
    beaten = entries(lstmcast=13.4, **{**anchors, "nf_nhits": 13.0})
    assert "**not met**" in competitions.bar("monthly", beaten)


def test_other_subsets_need_theta_and_autoets_beaten_and_name_the_missing():
    assert "**met**" in competitions.bar(
        "yearly", entries(lstmcast=16.0, theta=16.5, autoets=17.0, dotm=15.0)
    )
    said = competitions.bar("yearly", entries(lstmcast=16.0, theta=16.5))
    assert "not measured: statsforecast AutoETS" in said
    assert "not evaluated" in competitions.bar("yearly", entries(theta=16.5))


def test_write_section_appends_then_replaces_between_markers(tmp_path):
    path = tmp_path / "B.md"
    path.write_text("# Benchmarks\n\nkept\n")
    write_section(
        "<!-- x:begin -->\none\n<!-- x:end -->",
        "<!-- x:begin -->",
        "<!-- x:end -->",
        "X",
        path=path,
    )
    write_section(
        "<!-- x:begin -->\ntwo\n<!-- x:end -->",
        "<!-- x:begin -->",
        "<!-- x:end -->",
        "X",
        path=path,
    )
    assert path.read_text() == (
        "# Benchmarks\n\nkept\n\n## X\n\n<!-- x:begin -->\ntwo\n<!-- x:end -->\n"
    )
