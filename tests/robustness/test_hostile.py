"""Hostile files (checklist 39-45, issue 20): a model folder's JSON nested
100,000 deep, of the wrong types, with keys that would override methods or
ask for terabytes; manifests that list nothing, or files outside the folder,
or a 30 GB file; CSV files with a million columns, a 100 MB line or a huge
date cell. Each is exit code 2 naming the file and the key, never a
traceback, and quickly."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import numpy as np
import pytest
from robust_helpers import rehash, tiny_model, write_csv
from typer.testing import CliRunner

from lstmcast.cli.app import app
from lstmcast.cli.options import build_config, split_names
from lstmcast.core.errors import DataError
from lstmcast.data.limits import MAX_COLUMNS, repeated_names
from lstmcast.data.loading import load
from lstmcast.forecaster.estimator import LSTMForecaster


@pytest.fixture
def folder(tmp_path):
    path = tmp_path / "model"
    tiny_model().save(str(path))
    return path


def _edit(folder: Path, name: str, change) -> None:
    """Change JSON file ``name`` with ``change(value)`` (which may return a new
    value, or text) and record its hash, as a forger would."""
    path = folder / name
    value = json.loads(path.read_text())
    new = change(value)
    new = value if new is None else new
    path.write_text(new if isinstance(new, str) else json.dumps(new))
    rehash(folder, name)


def _fitted(**facts):
    return lambda meta: meta["fitted"].update(facts)


def _scaler_fitted(**values):
    return lambda pipes: pipes["target"]["steps"][-1]["fitted"].update(values)


DEEP = "[" * 100_000 + "]" * 100_000
HOSTILE_FILES = {
    "deep nesting": ("model.json", lambda meta: DEEP,
                     r"model\.json: not valid JSON|model\.json: it nests lists or "
                     r"objects more than 32 deep"),
    "wrong type": ("model.json", lambda meta: {**meta, "fitted": 5},
                   r"model\.json: key fitted must be an object; got 5"),
    "a number for the whole file": ("model.json", lambda meta: "5.5",
                                    r"model\.json: its content must be an object; "
                                    r"got 5\.5"),
    "window 10^12": ("model.json", _fitted(window=10**12),
                     r"model\.json: key fitted\.window must be an integer from 1 "
                     r"to 10000000; got 1000000000000"),
    "horizon 10^9": ("model.json", _fitted(horizon=10**9, outputs=10**9),
                     r"model\.json: key fitted\.horizon must be an integer from 1 "
                     r"to 10000; got 1000000000"),
    "window beyond the context": ("model.json", _fitted(window=500),
                                  r"model\.json: key fitted\.window must be at "
                                  r"most [0-9]+ \(the rows of the saved context\)"),
    "season as text": ("model.json", _fitted(season="x"),
                       r"key fitted\.season must be an integer"),
    "unknown frequency": ("model.json", _fitted(freq="blah"),
                          r"model\.json: key fitted\.freq must be a pandas "
                          r"frequency"),
    "stamp out of range": ("model.json", _fitted(first_stamp="99999-01-01"),
                           r"key fitted\.first_stamp, context\.index must be ISO "
                           r"time stamps pandas can hold"),
    "outputs against the strategy": ("model.json", _fitted(outputs=3),
                                     r"key fitted\.outputs must be 1 for strategy "
                                     r"mimo and horizon 1"),
    "bad parameter": ("model.json", lambda meta: meta["params"].update(
        hidden_size="many"), r"model\.json: key params: The 'hidden_size' setting "
                             r"must be of type int"),
    "short context column": ("model.json", lambda meta: meta["context"][
        "columns"]["x"].__delitem__(-1),
        r"key context\.columns\.x must be a list of [0-9]+ values"),
    "history of the wrong type": ("model.json", lambda meta: meta["history"].update(
        best_epoch="x"), r"key history\.best_epoch must be an integer"),
    "hidden_size 200000": ("config.json", lambda cfg: cfg["model"].update(
        hidden_size=200_000), r"model\.safetensors holds [0-9,]+ bytes, but the "
                              r"network that config\.json and model\.json "
                              r"describe \(1 x hidden_size 200000"),
    "NaN in the settings": ("config.json", lambda cfg: json.dumps(cfg).replace(
        '"lr": 0.003', '"lr": NaN'), r"config\.json: not valid JSON \(NaN is not a "
                                     r"JSON number"),
    "negative setting": ("config.json", lambda cfg: cfg["model"].update(
        num_layers=-1), r"config\.json: The 'num_layers' setting must be >= 1"),
    "key overriding a method": ("pipeline.json", _scaler_fitted(transform=1),
                                r"pipeline\.json: the saved 'scaler' step .*"
                                r"unexpected or missing: transform"),
    "fitted state of the wrong shape": ("pipeline.json", _scaler_fitted(
        center_=[1.0, 2.0, 3.0]), r"holds a model that cannot forecast from its "
                                  r"own saved context"),
    "unknown step": ("pipeline.json", lambda p: p["target"]["steps"][0].update(
        kind="exec"), r"Unknown transform kind 'exec'"),
    "nothing listed": ("manifest.json", lambda m: {**m, "files": {}},
                       r"manifest\.json does not list model\.safetensors, "
                       r"config\.json, pipeline\.json, model\.json"),
}


@pytest.mark.parametrize("case", HOSTILE_FILES)
def test_hostile_model_json_is_exit_2_naming_the_file_and_key(folder, case,
                                                               tmp_path):
    name, change, message = HOSTILE_FILES[case]
    if name == "manifest.json":
        path = folder / name
        path.write_text(json.dumps(change(json.loads(path.read_text()))))
    else:
        _edit(folder, name, change)
    started = time.monotonic()
    res = CliRunner().invoke(app, ["predict", str(folder), "--out",
                                   str(tmp_path / "f.csv")])
    text = " ".join(res.output.split())
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output and "Fit the model again" in text, text
    assert str(folder) in text and re.search(message, text), text
    assert time.monotonic() - started < 20
    assert not (tmp_path / "f.csv").exists()


HOSTILE_VALUES = [None, "x", -1, 0, 10**12, 1.5, True, [], {}, [[[]]]]


def test_no_value_of_any_fitted_fact_gives_a_traceback(folder):
    """Every fact of model.json replaced by each hostile value: the model is
    refused with a DataError, or it loads and forecasts."""
    meta = json.loads((folder / "model.json").read_text())
    for key in meta["fitted"]:
        for value in HOSTILE_VALUES:
            _edit(folder, "model.json",
                  lambda m, key=key, value=value: m["fitted"].update({key: value}))
            try:
                forecast = LSTMForecaster.load(str(folder)).predict(1)
                assert np.isfinite(forecast["forecast"]).all(), (key, value)
            except DataError:
                pass
    (folder / "model.json").write_text(json.dumps(meta))
    rehash(folder, "model.json")


@pytest.mark.parametrize("name", ["../../etc/passwd", "/etc/passwd", "sub/model.json",
                                  ".hidden", "a\\b"])
def test_manifest_names_outside_the_folder_are_never_opened(folder, name,
                                                            monkeypatch):
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"][name] = "0" * 64
    (folder / "manifest.json").write_text(json.dumps(manifest))
    opened = []
    real = os.open
    monkeypatch.setattr(os, "open", lambda path, *a, **k: opened.append(
        str(path)) or real(path, *a, **k))
    with pytest.raises(DataError, match=r"manifest\.json lists '.*', which is not "
                                        r"a plain file name inside the folder: "
                                        rf"nothing outside {re.escape(str(folder))}"
                                        r" is opened"):
        LSTMForecaster.load(str(folder))
    assert not [p for p in opened if "passwd" in p or p.startswith("sub")]


def test_a_symlink_or_a_pipe_in_the_folder_is_refused_unopened(folder):
    (folder / "config.json").unlink()
    (folder / "config.json").symlink_to("/etc/passwd")
    with pytest.raises(DataError, match=r"Cannot open .*config\.json: .*\(a "
                                        r"symbolic link or unreadable file\)") as exc:
        LSTMForecaster.load(str(folder))
    assert "/etc" not in str(exc.value)
    (folder / "config.json").unlink()
    os.mkfifo(folder / "config.json")  # reading a pipe would wait forever
    with pytest.raises(DataError, match=r"config\.json is not a regular file"):
        LSTMForecaster.load(str(folder))


def test_a_30_gb_entry_is_refused_before_it_is_read(folder):
    with open(folder / "big.bin", "wb") as fh:
        fh.truncate(30 * 2**30)  # sparse: nothing is written
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"]["big.bin"] = "0" * 64
    manifest["bytes"]["big.bin"] = 30 * 2**30
    (folder / "manifest.json").write_text(json.dumps(manifest))
    started = time.monotonic()
    with pytest.raises(DataError, match=r"big\.bin holds 32,212,254,720 bytes, more "
                                        r"than the 4,294,967,296 it may hold here"):
        LSTMForecaster.load(str(folder))
    assert time.monotonic() - started < 5


def test_an_oversized_json_file_is_refused_before_it_is_read(folder):
    with open(folder / "model.json", "r+b") as fh:
        fh.truncate(65 * 2**20)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["bytes"]["model.json"] = 65 * 2**20
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(DataError, match=r"model\.json holds 68,157,440 bytes, more "
                                        r"than the 67,108,864 it may hold here"):
        LSTMForecaster.load(str(folder))


def test_a_config_file_nested_deep_is_exit_2(tmp_path):
    (tmp_path / "cfg.json").write_text(DEEP)
    write_csv(tmp_path, "y\n" + "1\n" * 50)
    res = CliRunner().invoke(app, ["fit", str(tmp_path / "data.csv"), "--config",
                                   str(tmp_path / "cfg.json"), "--out",
                                   str(tmp_path / "out")])
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "cfg.json" in res.output and "Fix the file" in res.output


# --- CSV files --------------------------------------------------------------

def _wide(fh) -> None:
    fh.write(",".join(f"c{i}" for i in range(10**6)).encode() + b"\n" +
             b",".join(b"1" for _ in range(10**6)) + b"\n")


def _long_line(fh) -> None:
    fh.write(b"date,value\n2020-01-01,")
    fh.truncate(100 * 2**20)  # one line of 100 MB (of zero bytes)


@pytest.mark.parametrize(("write", "message"), [
    (_wide, rf"names about 1,000,000 columns, more than the {MAX_COLUMNS:,} "
            "lstmcast reads"),
    (_long_line, r"Line 2 of .*data\.csv is longer than 8,388,608 bytes")],
    ids=["a million columns", "a 100 MB line"])
def test_a_csv_beyond_the_bounds_is_refused_before_parsing(tmp_path, write,
                                                           message):
    with open(tmp_path / "data.csv", "wb") as fh:
        write(fh)
    started = time.monotonic()
    with pytest.raises(DataError, match=message):
        load(tmp_path / "data.csv")
    assert time.monotonic() - started < 5


def test_a_huge_date_cell_is_not_parsed_and_the_message_stays_short(tmp_path):
    days = [f"2020-02-{d:02d},{d}" for d in range(1, 29)]
    path = write_csv(tmp_path, "date,value\n2020-01-31" + "x" * 10**6 + ",0\n" +
                     "\n".join(days) + "\n")
    started = time.monotonic()
    with pytest.raises(DataError, match=r"Time column 'date' has cells that do not "
                                        r"parse like the others .*line 2 \("
                                        r"'2020-01-31x+'\.\.\. \(1,000,010 "
                                        r"characters\)\)") as exc:
        load(path, target="value")
    assert time.monotonic() - started < 5 and len(str(exc.value)) < 500


def test_repeated_header_names_are_found_in_linear_time(tmp_path):
    names = [f"c{i}" for i in range(200_000)] + ["c7", "c9", "c7"]
    started = time.monotonic()  # quadratic, this took hours
    assert repeated_names(names) == {"c7": [8, 200_001, 200_003],
                                     "c9": [10, 200_002]}
    assert time.monotonic() - started < 5
    header = [f"c{i}" for i in range(20_000)] + ["c3"]
    path = write_csv(tmp_path, ",".join(header) + "\n" + ",".join(
        ["1"] * len(header)) + "\n")
    with pytest.raises(DataError, match=r"names a column more than once: 'c3' in "
                                        r"columns 4, 20001 \(counting from 1\)"):
        load(path)


def test_covariate_names_split_on_commas_only(tmp_path):
    assert split_names(" unit price , x,, ") == ("unit price", "x")
    assert build_config(None, {"covariates": "unit price, x"}).data.covariates == (
        "unit price", "x")
    write_csv(tmp_path, "date,y,unit price\n" + "".join(
        f"2020-01-{d:02d},{d},{d % 3}\n" for d in range(1, 29)))
    res = CliRunner().invoke(app, ["fit", str(tmp_path / "data.csv"), "--target",
                                   "y", "--covariates", "unit pric", "--out",
                                   str(tmp_path / "out")])
    assert res.exit_code == 2
    assert "Covariate column 'unit pric' is not in" in res.output
    assert "Did you mean 'unit price'?" in res.output


@pytest.mark.parametrize(("args", "message"), [
    (["fit", "--no-auto", "--hidden-size", "200000"],
     r"has [0-9,.]+ GiB of weights: training it needs about [0-9,.]+ GiB, more "
     r"than this machine's [0-9,.]+ GiB of memory\. Choose a smaller "
     r"--hidden-size"),
    (["predict", "--horizon", str(10**9)],
     r"A forecast of 1,000,000,000 steps is more than the 10,000 lstmcast makes "
     r"at once")], ids=["hidden_size 200000", "horizon 10^9"])
def test_sizes_beyond_memory_or_time_are_exit_2(folder, tmp_path, args, message):
    write_csv(tmp_path, "".join(["date,y,x\n"] + [
        f"2020-{m:02d}-{d:02d},{d + m},{d % 5}\n" for m in (1, 2, 3)
        for d in range(1, 29)]))
    command, *flags = args
    where = [str(folder)] if command == "predict" else [
        str(tmp_path / "data.csv"), "--target", "y", "--out", str(tmp_path / "o")]
    started = time.monotonic()
    res = CliRunner().invoke(app, [command, *where, *flags])
    assert res.exit_code == 2 and "Traceback" not in res.output, res.output
    assert re.search(message, " ".join(res.output.split())), res.output
    assert time.monotonic() - started < 30
