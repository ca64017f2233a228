import json

import pytest

from lstmcast.core.config import ForecastConfig, field_index
from lstmcast.core.errors import DataError


def test_defaults_round_trip_through_json(tmp_path):
    cfg = ForecastConfig().replace(lags=(1, 7), window=48, lr=0.01, calendar=True)
    path = tmp_path / "c.json"
    path.write_text(cfg.to_json())
    assert ForecastConfig.from_json_file(str(path)) == cfg


def test_field_names_are_unique_across_sections():
    index = field_index()
    assert {"window", "lr", "scaler", "target", "dropout"} <= set(index)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"window": 0}, r"'window' setting must be >= 2\. Got 0"),
        ({"lr": 0}, r"'lr' setting must be > 0"),
        ({"scaler": "zscore"}, r"'scaler' setting must be one of standard"),
        ({"epochs": "ten"}, r"'epochs' setting must be of type int"),
        ({"dropout": 1.5}, r"'dropout' setting must be <= 0.95"),
        ({"windw": 3}, r"Unknown setting\(s\) windw"),
        ({"bidirectional": "maybe"}, r"'bidirectional' setting must be of type bool"),
    ],
)
def test_bad_values_name_the_setting(override, message):
    with pytest.raises(DataError, match=message):
        ForecastConfig().replace(**override)


def test_strings_from_the_command_line_are_coerced():
    cfg = ForecastConfig().replace(lags="1,2,24", window="48", bidirectional="true",
                                   lr="1e-3", covariates="a, b")
    assert cfg.preprocess.lags == (1, 2, 24)
    assert cfg.model.window == 48 and cfg.model.bidirectional is True
    assert cfg.train.lr == 1e-3 and cfg.data.covariates == ("a", "b")


def test_unknown_section_and_key_in_file_are_errors(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"modle": {}}))
    with pytest.raises(DataError, match="Unknown config section"):
        ForecastConfig.from_json_file(str(path))
    path.write_text(json.dumps({"model": {"hidden": 3}}))
    with pytest.raises(DataError, match="Unknown setting.*hidden.*section 'model'"):
        ForecastConfig.from_json_file(str(path))
    path.write_text("{not json")
    with pytest.raises(DataError, match="not valid JSON"):
        ForecastConfig.from_json_file(str(path))


def test_words_for_nothing_clear_optional_settings():
    cfg = ForecastConfig().replace(clip_grad="none", window="auto", lags="none",
                                   max_steps="off")
    assert cfg.train.clip_grad is None and cfg.model.window is None
    assert cfg.preprocess.lags == () and cfg.train.max_steps is None
    with pytest.raises(DataError, match="'lr' setting cannot be empty"):
        ForecastConfig().replace(lr="none")


def test_public_api_functions_are_not_shadowed_by_modules():
    import lstmcast
    import lstmcast.diagnosis.diagnose
    import lstmcast.evaluation.backtest
    assert callable(lstmcast.diagnose) and callable(lstmcast.backtest)
    assert callable(lstmcast.LSTMForecaster)
