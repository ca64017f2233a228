"""European and finance CSVs: --sep, --decimal and --thousands (also in
--config files and Python), and currency symbols and percent signs stripped as
a recorded repair."""

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import ar_series
from lstmcast.cli.app import app
from lstmcast.core.config import DataConfig, ForecastConfig
from lstmcast.core.errors import DataError
from lstmcast.data.loading import load, load_data

runner = CliRunner()
PLAIN = ["--no-auto", "--hidden-size", "8", "--epochs", "2", "--window", "12",
         "--quiet"]


def european(frame: pd.DataFrame, path) -> str:
    """``frame`` as a German spreadsheet saves it: ';', decimal commas, dates
    day first."""
    out = frame.copy()
    out["ds"] = out["ds"].dt.strftime("%d.%m.%Y")
    out.to_csv(path, sep=";", decimal=",", index=False)
    return str(path)


def write(tmp_path, text: str, name: str = "data.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def days(n: int) -> list[str]:
    return [str(d.date()) for d in pd.date_range("2021-01-01", periods=n)]


def test_fit_on_a_semicolon_decimal_comma_file_equals_the_plain_fit(tmp_path):
    frame = ar_series(200)
    eu = european(frame, tmp_path / "eu.csv")
    plain = tmp_path / "plain.csv"
    frame.to_csv(plain, index=False)
    runs = {}
    for name, args in (("eu", [eu, "--sep", ";", "--decimal", ","]),
                       ("plain", [str(plain)])):
        res = runner.invoke(app, ["fit", *args, "--target", "y", "--covariates",
                                  "x", "--out", str(tmp_path / name), *PLAIN])
        assert res.exit_code == 0, res.output
        runs[name] = json.loads((tmp_path / name / "metrics.json").read_text())
    assert runs["eu"]["models"]["lstm"]["r2"] == pytest.approx(
        runs["plain"]["models"]["lstm"]["r2"], abs=1e-9)
    assert runs["eu"]["config"]["data"]["sep"] == ";"
    assert runs["eu"]["config"]["data"]["decimal"] == ","


def test_predict_reads_new_data_with_the_fits_options(tmp_path):
    eu = european(ar_series(200), tmp_path / "eu.csv")
    run = tmp_path / "run"
    res = runner.invoke(app, ["fit", eu, "--sep", "semicolon", "--decimal", ",",
                              "--target", "y", "--out", str(run), *PLAIN])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["predict", str(run), eu, "--horizon", "2", "--out",
                              str(tmp_path / "f.csv"), "--json", "-"])
    assert res.exit_code == 0, res.output
    stamps = [row["timestamp"] for row in json.loads(res.stdout)["forecast"]]
    assert stamps == ["2000-07-19 00:00:00", "2000-07-20 00:00:00"]
    res = runner.invoke(app, ["predict", str(run), eu, "--decimal", "."])
    assert res.exit_code == 2 and "--decimal ','" in res.output


def test_predict_options_without_data_are_refused(tmp_path):
    res = runner.invoke(app, ["predict", str(tmp_path), "--sep", ";"])
    assert res.exit_code == 2 and "--sep say how to read DATA" in res.output


def test_thousands_dot_decimal_comma_and_day_first_dates(tmp_path):
    text = "Datum;Umsatz\n" + "".join(
        f"{d};{v}\n" for d, v in zip(["05.01.2021", "06.01.2021", "13.01.2021"],
                                     ["1.234,5", "1.250", "-12,25"], strict=True))
    series = load(write(tmp_path, text), sep=";", decimal=",", thousands=".")
    assert series.y.tolist() == [1234.5, 1250.0, -12.25]
    assert [str(d.date()) for d in series.index] == ["2021-01-05", "2021-01-06",
                                                      "2021-01-13"]


def test_a_thousands_format_never_reads_1_234_as_a_fraction(tmp_path):
    text = "date,value\n" + "".join(f"{d},{v}\n" for d, v in
                                    zip(days(3), ["1.234", "1.500", "2.000"],
                                        strict=True))
    assert load(write(tmp_path, text)).y.tolist() == [1.234, 1.5, 2.0]
    assert load(write(tmp_path, text), thousands=".",
                decimal=",").y.tolist() == [1234.0, 1500.0, 2000.0]


def test_a_decimal_comma_format_refuses_a_decimal_point(tmp_path):
    text = "date;value\n" + "".join(f"{d};{v}\n" for d, v in
                                    zip(days(3), ["1,5", "2,5", "3.5"], strict=True))
    with pytest.raises(DataError, match=r"line 4 \('3.5'\)"):
        load(write(tmp_path, text), decimal=",")


@pytest.mark.parametrize(("thousands", "cells"), [
    ("space", ["1\u00a0234,5", "2 000,25", "1\u202f000"]),
    ("'", ["1'234,5", "2'000,25", "1'000"]),
])
def test_space_and_apostrophe_thousands(tmp_path, thousands, cells):
    text = "date;value\n" + "".join(f"{d};{v}\n" for d, v in
                                    zip(days(3), cells, strict=True))
    series = load(write(tmp_path, text), decimal=",", thousands=thousands)
    assert series.y.tolist() == [1234.5, 2000.25, 1000.0]


def test_currency_symbols_are_stripped_as_a_recorded_repair(tmp_path):
    text = "date,revenue,rate\n" + "".join(
        f'{d},"{c}",{p}\n' for d, c, p in zip(
            days(4), ["$10,000.12", "-$5.50", "€ 1,000", "$ -2"],
            ["12.5%", "3%", "-1.5 %", "0%"], strict=True))
    series = load(write(tmp_path, text), target="revenue", covariates=["rate"],
                  thousands=",")
    assert series.y.tolist() == [10000.12, -5.5, 1000.0, -2.0]
    assert series.X[:, 0].tolist() == [12.5, 3.0, -1.5, 0.0]
    units = [r for r in series.repairs if r.kind == "units"]
    assert [r.count for r in units] == [4, 4]
    assert "'$' from 3 cells, '€' from 1 cell" in units[0].detail
    assert "line 2: '$10,000.12' is 10000.1" in units[0].detail
    assert "12.5% is 12.5, not 0.125" in units[1].detail
    with pytest.raises(DataError, match=r"strict.*\[units\]"):
        load(write(tmp_path, text), target="revenue", thousands=",", strict=True)


def test_400_money_cells_get_the_flag_that_reads_them(tmp_path):
    amounts = 10_000 + 1.5 * np.arange(400)
    text = "date,revenue\n" + "".join(
        f'{d},"${a:,.2f}"\n' for d, a in zip(days(400), amounts, strict=True))
    with pytest.raises(DataError) as info:
        load(write(tmp_path, text))
    message = str(info.value)
    assert "holds text, not numbers" in message and "(400 in all)" in message
    assert "read them with --thousands ','" in message
    assert "Currency symbols and percent signs are stripped" in message
    assert "Fix those cells" not in message and "pandas" not in message
    assert load(write(tmp_path, text), thousands=",").y[-1] == pytest.approx(
        amounts[-1])


def test_the_format_works_in_a_config_file_and_python(tmp_path):
    eu = european(ar_series(60), tmp_path / "eu.csv")
    config = ForecastConfig.from_dict({"data": {"target": "y", "sep": ";",
                                                "decimal": ","}})
    from_config = load_data(eu, config.data)
    direct = load(eu, target="y", sep=";", decimal=",")
    assert np.array_equal(from_config.y, direct.y)
    assert DataConfig(sep="\t").sep == "\t"
    frame = pd.DataFrame({"y": ["1,5", "2,5", "3,5"]})
    assert load(frame, target="y", decimal=",").y.tolist() == [1.5, 2.5, 3.5]


def test_a_tab_separator_by_name(tmp_path):
    text = "date\tvalue\n" + "".join(f"{d}\t{i}.5\n" for i, d in enumerate(days(3)))
    assert load(write(tmp_path, text), sep="tab").y.tolist() == [0.5, 1.5, 2.5]


def test_integer_steps_stay_steps_when_read_as_text(tmp_path):
    text = "step;value\n" + "".join(f"{i};{i},5\n" for i in (10, 11, 12))
    series = load(write(tmp_path, text), decimal=",")
    assert series.index.tolist() == [10, 11, 12] and series.y.tolist() == [
        10.5, 11.5, 12.5]


@pytest.mark.parametrize(("settings", "message"), [
    ({"decimal": ",", "thousands": ","}, r"both ','.*--decimal , --thousands \."),
    ({"sep": ",", "decimal": ","}, r"separator ','.*also the decimal mark.*--sep ';'"),
    ({"sep": "ab"}, r"separator .*one character.*Got 'ab'"),
    ({"decimal": "d"}, r"decimal setting \(--decimal\) must be one character"),
])
def test_bad_format_settings_say_what_is_wrong(tmp_path, settings, message):
    path = write(tmp_path, "date,value\n2021-01-01,1\n2021-01-02,2\n")
    with pytest.raises(DataError, match=message):
        load(path, **settings)
