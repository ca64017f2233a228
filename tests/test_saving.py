import json
import pickle

import numpy as np
import pandas as pd
import pytest

from lstmcast.core.errors import DataError
from lstmcast.core.persist import sha256
from lstmcast.forecaster.estimator import LSTMForecaster


@pytest.fixture
def saved(tmp_path, series_frame, fast):
    est = LSTMForecaster(**{**fast, "lags": (1,), "calendar": True})
    est.fit(series_frame, target="y", covariates=["x"])
    est.save(str(tmp_path / "m"))
    return est, tmp_path / "m"


def test_round_trip_gives_identical_forecasts(saved, series_frame):
    est, folder = saved
    back = LSTMForecaster.load(str(folder))
    pd.testing.assert_frame_equal(est.predict(1), back.predict(1))
    rows = np.arange(200, 240)
    np.testing.assert_array_equal(est.predict_one_step(series_frame, rows),
                                  back.predict_one_step(series_frame, rows))
    assert back.get_params() == est.get_params()
    train_range = back.state_.data.train_range
    assert train_range == est.state_.data.train_range and train_range["rows"] == 240
    assert {p.name for p in folder.iterdir()} >= {"model.safetensors", "config.json",
                                                  "pipeline.json", "model.json",
                                                  "manifest.json"}


def _rehash(folder, name) -> None:
    """Record the hash and size of ``folder/name`` in the manifest, as a forger
    would."""
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"][name] = sha256(folder / name)
    manifest["bytes"][name] = (folder / name).stat().st_size
    (folder / "manifest.json").write_text(json.dumps(manifest))


def test_truncated_or_changed_file_is_detected(saved):
    _, folder = saved
    weights = folder / "model.safetensors"
    data = weights.read_bytes()
    weights.write_bytes(data[:-10])
    with pytest.raises(DataError, match="holds [0-9,]+ bytes where the manifest "
                                        "recorded [0-9,]+: it was truncated"):
        LSTMForecaster.load(str(folder))
    weights.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    with pytest.raises(DataError, match="does not match its recorded hash"):
        LSTMForecaster.load(str(folder))


def test_missing_manifest_and_missing_folder(saved, tmp_path):
    _, folder = saved
    (folder / "manifest.json").unlink()
    with pytest.raises(DataError, match="not a complete lstmcast model folder"):
        LSTMForecaster.load(str(folder))
    with pytest.raises(DataError, match="does not exist"):
        LSTMForecaster.load(str(tmp_path / "nothing"))


class Boom:
    def __reduce__(self):
        return (exec, ("open('PWNED','w').write('x')",))


def test_pickle_payload_is_never_executed(saved, monkeypatch, tmp_path):
    _, folder = saved
    monkeypatch.chdir(tmp_path)
    weights = folder / "model.safetensors"
    weights.write_bytes(pickle.dumps(Boom()).ljust(weights.stat().st_size, b"\0"))
    _rehash(folder, "model.safetensors")
    with pytest.raises(DataError, match="not a valid safetensors"):
        LSTMForecaster.load(str(folder))
    assert not (tmp_path / "PWNED").exists()


def test_newer_format_asks_to_upgrade(saved):
    _, folder = saved
    meta = json.loads((folder / "model.json").read_text())
    meta["format_version"] = 99
    (folder / "model.json").write_text(json.dumps(meta))
    _rehash(folder, "model.json")
    with pytest.raises(DataError, match="Upgrade lstmcast"):
        LSTMForecaster.load(str(folder))


def test_a_subsampled_validation_note_is_saved_and_loads(tmp_path, series_frame,
                                                          fast, monkeypatch):
    """A long series scores the validation loss on a subset of its windows and
    says so in the history; the saved model keeps the note and loads."""
    monkeypatch.setattr("lstmcast.forecaster.fit.MAX_VAL_WINDOWS", 5)
    est = LSTMForecaster(**{**fast, "batching": "windows"}).fit(series_frame,
                                                                target="y")
    assert est.history_.validation.startswith("validation loss on 5 of the")
    est.save(str(tmp_path / "m"))
    back = LSTMForecaster.load(str(tmp_path / "m"))
    assert back.history_.validation == est.history_.validation
