"""Checklist cases 1-25 and 46-50: bad input files, values, time stamps,
lengths and prediction inputs. Each raises lstmcast's own DataError whose
message names the problem and the fix, or is accepted and said so; on the
command line each is exit code 2 with no traceback."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
from robust_helpers import daily_csv, tiny_model, write_csv
from typer.testing import CliRunner

from conftest import ar_series
from lstmcast.cli.app import app
from lstmcast.core.errors import DataError, DataWarning, NotFittedError
from lstmcast.data.loading import load
from lstmcast.data.split import check_length
from lstmcast.forecaster.estimator import LSTMForecaster
from lstmcast.forecaster.shape import check_strategy
from lstmcast.network.train import pick_device

NUMBERS = [1.0, 3.0, 2.0, 5.0, 4.0, 6.0, 8.0, 7.0, 9.0, 10.0]


def with_cell(position: int, cell: object) -> list[object]:
    values: list[object] = list(NUMBERS)
    values[position] = cell
    return values


# (checklist case, CSV text, regex the message must match: problem ... fix)
BAD_CSV = [
    ("1 empty file", "", r"is empty\. Write a header line"),
    ("2 header only", "date,value\n", r"header \(date, value\) but no data rows\. "
                                      r"Add one row"),
    ("4 text cell", daily_csv(with_cell(3, "#VALUE!")),
     r"Target column 'value' has cells that are not numbers: line 5 "
     r"\('#VALUE!'\)\. Fix those cells, or leave them empty"),
    ("4 decimal comma", "date;value\n2020-01-01;57,8\n2020-01-02;3,5\n",
     r"holds text.*'57,8'.*read them with --decimal ','.*decimal=','"),
    ("4 thousands separator", daily_csv(with_cell(2, '"1,234"')),
     r"line 4 \('1,234'\).*--thousands ','"),
    ("8 infinity", daily_csv(with_cell(4, "inf")),
     r"infinite values at line 6 \(inf\)\. Replace them with real numbers"),
    ("8 minus infinity", daily_csv(with_cell(1, "-inf")),
     r"infinite values at line 3 \(-inf\)"),
    ("12 unparseable time", "date,value\n2020-01-01,1\n2020-13-45,2\n2020-01-03,3\n",
     r"'date' has cells that do not parse like the others.*line 3 "
     r"\('2020-13-45'\).*one format"),
    ("12 empty time cell", "date,value\n2020-01-01,1\n,2\n2020-01-03,3\n",
     r"'date' has empty cells at line 3\. Fill in those time stamps"),
    ("13 unsorted", daily_csv(NUMBERS).replace("2020-01-02", "2020-01-99")
     .replace("2020-01-05", "2020-01-02").replace("2020-01-99", "2020-01-05"),
     r"'date' is not sorted: line 4 \(2020-01-03\) comes after line 3 "
     r"\(2020-01-05\).*sort_values\('date'\).*"),
    ("14 duplicates", "date,value\n2020-01-01,1\n2020-01-02,2\n2020-01-02,3\n"
     "2020-01-03,4\n", r"duplicate time stamps: 2020-01-02 \(2 rows: line 3, "
     r"line 4\).*duplicates='mean'"),
    ("15 gaps refused", daily_csv(NUMBERS).replace("2020-01-05,4.0\n", ""),
     r"1 time stamp is missing.*first missing: 2020-01-05\. Load with "
     r"gaps='fill'"),
    ("16 irregular with fill", "date,value\n2020-01-01,1\n2020-01-02,2\n"
     "2020-01-05 06:00,3\n2020-01-09,4\n2020-01-20,5\n2020-02-03,6\n",
     r"irregular.*gaps='fill' cannot be applied.*Resample"),
    ("22 one data point", "date,value\n2020-01-01,5\n",
     r"'value' has a single value \(5\): there is no history to learn from.*Add "
     r"rows"),
    ("23 constant target", daily_csv([3.0] * 10), r"'value' is constant: every "
                                                   r"value is 3"),
]


@pytest.mark.parametrize(("case", "text", "message"), BAD_CSV,
                         ids=[c[0] for c in BAD_CSV])
def test_bad_csv_is_a_data_error_naming_problem_and_fix(tmp_path, case, text,
                                                        message):
    gaps = "fill" if "fill" in case else "error" if "refused" in case else "report"
    with pytest.raises(DataError, match=message):
        load(write_csv(tmp_path, text), gaps=gaps)


def test_1_missing_path_folder_and_unreadable_file(tmp_path):
    write_csv(tmp_path, daily_csv(NUMBERS), "sales.csv")
    with pytest.raises(DataError, match=r"sale\.csv does not exist\. Did you mean"):
        load(tmp_path / "sale.csv")
    with pytest.raises(DataError, match=r"is a folder; pass the data file"):
        load(tmp_path)
    locked = write_csv(tmp_path, daily_csv(NUMBERS), "locked.csv")
    locked.chmod(0)
    try:
        if os.access(locked, os.R_OK):
            pytest.skip("running as root: every file is readable")
        with pytest.raises(DataError, match=r"Cannot read .*locked\.csv.*"
                                            r"Permission denied"):
            load(locked)
    finally:
        locked.chmod(0o644)


def test_1_no_partial_outputs_on_bad_input(tmp_path):
    out = tmp_path / "run"
    res = CliRunner().invoke(app, ["fit", str(tmp_path / "nope.csv"), "--out",
                                   str(out)])
    assert res.exit_code == 2 and "nope.csv does not exist" in res.output
    assert "Traceback" not in res.output and not out.exists()


def test_3_missing_and_duplicated_columns(tmp_path):
    path = write_csv(tmp_path, daily_csv(NUMBERS))
    with pytest.raises(DataError, match=r"Target column 'valu' is not in file .*"
                                        r"Available columns: date, value\. Did you "
                                        r"mean 'value'\?"):
        load(path, target="valu")
    frame = pd.DataFrame([[1, 2], [3, 4]], columns=["a", "a"])
    with pytest.raises(DataError, match=r"Column names appear more than once: a\. "
                                        r"Give every column its own name"):
        load(frame)


@pytest.mark.parametrize("sep", [",", ";"])
def test_3_duplicated_csv_header_names_the_column_and_positions(tmp_path, sep):
    text = daily_csv(NUMBERS).replace("date,value", "date,value,value").replace(
        "\n2", ",1\n2").replace(",", sep)
    path = write_csv(tmp_path, text)
    with pytest.raises(DataError, match=r"header of .*data\.csv names a column more "
                                        r"than once: 'value' in columns 2, 3 "
                                        r"\(counting from 1\)\. Rename one"):
        load(path, target="value")
    res = CliRunner().invoke(app, ["fit", str(path), "--target", "value.1",
                                   "--out", str(tmp_path / "r")])
    assert res.exit_code == 2 and "'value' in columns 2, 3" in res.output
    assert "Traceback" not in res.output


@pytest.mark.parametrize("values", [np.arange(30), np.arange(30) % 2 == 0,
                                    np.arange(30).astype(object)],
                         ids=["int", "bool", "object holding numbers"])
def test_5_int_bool_and_object_numbers_are_cast_to_float64(values):
    data = load(pd.DataFrame({"value": values}))
    assert data.frame.dtypes.tolist() == [np.float64]
    np.testing.assert_array_equal(data.y, np.asarray(values, dtype=np.float64))


@pytest.mark.parametrize("cell", [1 + 2j, [1, 2], {"a": 1}],
                         ids=["complex", "list", "dict"])
def test_6_complex_and_nested_cells_are_refused(cell):
    frame = pd.DataFrame({"value": pd.Series([1.0, 2.0, cell, 4.0], dtype=object)})
    with pytest.raises(DataError, match=r"Target column 'value' has cells that are "
                                        r"not numbers: row 2 .*Fix those cells"):
        load(frame)


def test_7_interior_missing_values_are_counted_and_never_trained_on():
    frame = ar_series(60)
    frame.loc[[20, 21, 40], "y"] = np.nan
    data = load(frame, target="y")
    assert [r.kind for r in data.repairs] == ["missing"]
    assert data.repairs[0].count == 3
    assert "3 missing values (longest run 2 rows); they are imputed" in \
        data.repairs[0].detail


def test_10_huge_magnitudes_are_validated_in_float64():
    data = load(pd.DataFrame({"value": [1e100, -1e100, 3e38, 1.0]}))
    assert data.y.dtype == np.float64 and np.isfinite(data.y).all()
    with pytest.raises(DataError, match=r"too large to compute with.*row 0 "
                                        r"\(1e\+300\).*divide it by 1e297"):
        load(pd.DataFrame({"value": [1e300, -1e300, 3e38, 1.0]}))


def test_10_range_far_beyond_the_typical_step_warns_about_float32():
    counter = pd.DataFrame({"value": 3e9 + np.arange(400.0) * 1e5})
    counter.loc[200:, "value"] += 1e12  # one jump: the range is 1e7 steps
    with pytest.warns(DataWarning, match=r"typically moves by 1e\+05 per step"):
        data = load(counter)
    note = next(n for n in data.notes if "float32" in n)
    assert "scales the data in float64" in note and "--difference 1" in note
    assert data.repairs == ()  # a warning, not a change to the data
    plain = load(pd.DataFrame({"value": 3e9 + np.arange(400.0) * 1e5}))
    assert not any("float32" in n for n in plain.notes)


def test_11_all_missing_covariate_is_refused():
    frame = ar_series(30)
    frame["x"] = np.nan
    with pytest.raises(DataError, match=r"Covariate column 'x' has no values: all "
                                        r"30 cells are missing\. Drop it from the "
                                        r"covariates"):
        load(frame, target="y", covariates=["x"])


def test_18_integer_steps_accepted_and_uneven_steps_reported(tmp_path):
    data = load(write_csv(tmp_path, "step,value\n" + "".join(
        f"{i},{v}\n" for i, v in enumerate(NUMBERS))))
    assert data.index.dtype == np.int64 and data.future_index(2).tolist() == [10, 11]
    uneven = load(pd.DataFrame({"step": [0, 2, 4, 5, 8, 10], "value": NUMBERS[:6]}),
                  time="step")
    assert any("irregular" in n for n in uneven.notes)


def test_19_20_too_short_names_the_formula_and_what_fits():
    with pytest.raises(DataError, match=r"too short: 40 points .* window \+ horizon "
                                        r"\+ min_train_windows - 1.*It would fit "
                                        r"with window="):
        check_length(40, window=24, horizon=1, n_test=10, n_val=5)
    with pytest.raises(DataError, match=r"validation part of 2 points cannot hold "
                                        r"the 3 targets"):
        check_length(100, window=5, horizon=3, n_test=10, n_val=2)


def test_21_history_shorter_than_the_window():
    est = tiny_model()
    with pytest.raises(DataError, match=r"fewer than 8 complete rows of history: "
                                        r"give a longer history"):
        est.predict(1, ar_series(5))


def test_36_cuda_asked_for_but_absent():
    import torch
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(DataError, match=r"no CUDA GPU is visible\. Use --device "
                                        r"auto or cpu"):
        pick_device("cuda")


def test_38_conflicting_options():
    with pytest.raises(DataError, match=r"strategy='recursive' with horizon=3 .*"
                                        r"Use --strategy mimo or direct"):
        check_strategy("recursive", 3, ("x",))


def test_46_predict_before_fit():
    with pytest.raises(NotFittedError, match=r"not fitted yet\. Call 'fit' first"):
        LSTMForecaster().predict(1)


def test_47_49_horizon_beyond_the_trained_one_with_covariates():
    est = tiny_model()
    with pytest.raises(DataError, match=r"forecasts at most 1 step\(s\) \(strategy "
                                        r"'mimo'\); 3 were asked for\. Refit with "
                                        r"--horizon 3"):
        est.predict(3)


def test_48_predict_input_with_inf_or_missing_column():
    est = tiny_model()
    frame = ar_series(40)
    frame.loc[30, "y"] = np.inf
    with pytest.raises(DataError, match=r"'y' has infinite values at row 30"):
        est.predict(1, frame)
    with pytest.raises(DataError, match=r"Covariate column 'x' is not in"):
        est.predict(1, ar_series(40).drop(columns="x"))


@pytest.mark.parametrize(("freq", "shown"), [("h", "h"), ("W", "W-SUN"),
                                             ("2D", "2D")])
def test_48_predict_data_at_another_frequency_is_refused(freq, shown):
    est = tiny_model()  # trained on daily data
    with pytest.raises(DataError, match=rf"The data has frequency '{shown}', but "
                                        r"the model was trained on frequency 'D'.*"
                                        r"Resample the data to 'D' first .*"
                                        r"--resample D"):
        est.predict(1, ar_series(40, freq=freq))


def test_48_gaps_are_accepted_and_the_cli_refuses_another_frequency(tmp_path):
    est = tiny_model()
    frame = ar_series(40).drop(index=[5, 6])  # gaps: still daily
    assert est.predict(1, frame).index[0] == pd.Timestamp("2000-02-10")
    tiny_model().save(str(tmp_path / "model"))
    ar_series(40, freq="h").to_csv(tmp_path / "hourly.csv", index=False)
    result = CliRunner().invoke(app, ["predict", str(tmp_path / "model"),
                                      str(tmp_path / "hourly.csv"), "--out",
                                      str(tmp_path / "forecast.csv")])
    assert result.exit_code == 2, result.output
    assert "frequency 'h', but the model was trained on frequency 'D'" in \
        " ".join(result.output.split())
    assert not (tmp_path / "forecast.csv").exists()


def test_48_reordered_columns_are_realigned_by_name():
    est = tiny_model()
    frame = ar_series(40)
    expected = est.predict(1, frame)
    for reordered in (frame[["x", "y", "ds"]], frame[["ds", "x", "y"]],
                      frame.set_index("ds")[["x", "y"]]):
        pd.testing.assert_frame_equal(est.predict(1, reordered), expected)
    np.testing.assert_array_equal(est.predict_one_step(frame[["x", "ds", "y"]]),
                                  est.predict_one_step(frame))


def test_50_batch_invariance_and_inputs_left_unchanged():
    est = tiny_model()
    frame = ar_series(120)
    before = frame.copy()
    all_rows = est.predict_one_step(frame)
    some = est.predict_one_step(frame, np.array([60, 61, 100]))
    first = int(len(frame) - len(all_rows))
    # float32 kernels sum in a batch-size-dependent order: equal to ~1e-9, not bitwise
    np.testing.assert_allclose(some, all_rows[[60 - first, 61 - first, 100 - first]],
                               rtol=1e-6)
    pd.testing.assert_frame_equal(frame, before)


@pytest.mark.parametrize(("args", "message"), [
    (["--target", "nope"], "Target column 'nope' is not in"),
    (["--target", "y", "--lr", "-1"], "'lr' setting must be > 0.0"),
    (["--target", "y", "--unsorted", "shuffle"], "'unsorted' setting must be one"),
], ids=["3 column", "37 bad setting", "bad policy"])
def test_cli_bad_input_exit_2_without_traceback(tmp_path, args, message):
    path = tmp_path / "data.csv"
    ar_series(60).to_csv(path, index=False)
    res = CliRunner().invoke(app, ["fit", str(path), "--out", str(tmp_path / "r"),
                                   *args])
    assert res.exit_code == 2, res.output
    assert message in res.output and "Traceback" not in res.output
