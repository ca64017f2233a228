"""How fit --auto trains its candidates: on sequences where windows cost, the
final fit as the plain fit would, and a runoff on windows when the two differ."""


from conftest import auto_config
from lstmcast import ForecastConfig
from lstmcast.network import sequences
from lstmcast.search import training
from lstmcast.search.auto import fit_auto
from lstmcast.search.training import SEQUENCES, search_levers


def test_candidates_train_on_sequences_only_where_windows_cost():
    cfg = ForecastConfig()
    levers = search_levers(cfg, (), 2000, 24)  # 48,000 steps an epoch
    assert {k: levers[k] for k in SEQUENCES} == SEQUENCES
    assert levers["epochs"] <= cfg.train.epochs
    assert search_levers(cfg, (), 100, 24) == {}  # 2,400 steps: windows
    assert search_levers(cfg, {"batching"}, 2000, 24) == {}  # the user's batching
    assert "lr" not in search_levers(cfg, {"lr"}, 2000, 24)  # the user's lr kept
    assert search_levers(cfg.replace(bidirectional=True), (), 2000, 24) == {}


def test_a_runoff_on_windows_decides_when_the_final_fit_trains_on_windows(
        seasonal, monkeypatch):
    monkeypatch.setattr(training, "SEARCH_SEQUENCE_READS", 0)
    result = fit_auto(seasonal, auto_config(season=7), budget=120)
    auto = result.auto
    runoff = [c for c in auto["candidates"] if "the runoff" in c["note"]]
    assert 1 <= len(runoff) <= 2 and "on windows" in auto["why"]
    winner = min(runoff, key=lambda c: c["val_mse"])["name"]
    assert auto["chosen"].split(" ")[0] in {winner, "naive", "ets"}
    # the variants (head, seeds, combination) come after the runoff, on its winner
    after = auto["candidates"][auto["candidates"].index(runoff[-1]) + 1:]
    if auto["chosen"] not in ("naive", "ets"):
        assert after and all(c["name"].startswith(winner + " ") for c in after)
    scored = [c for c in auto["candidates"] if c["val_mse"] is not None
              and "the runoff" not in c["note"] and c["name"] != "naive"]
    assert all(c["settings"].get("batching") is None for c in scored)
    assert result.config.train.batching == "windows"  # as the plain fit
    ensembles = [c for c in auto["candidates"] if c["name"].endswith(" x3")]
    assert all(c["note"].startswith("skipped: the final fit trains on windows")
               for c in ensembles)


def test_no_runoff_where_the_final_fit_trains_on_sequences_too(seasonal,
                                                             monkeypatch):
    monkeypatch.setattr(training, "SEARCH_SEQUENCE_READS", 0)
    monkeypatch.setattr(sequences, "SEQUENCE_READS", 0)  # every fit is "long"
    result = fit_auto(seasonal, auto_config(season=7), budget=120)
    auto = result.auto
    assert not any("the runoff" in c["note"] for c in auto["candidates"])
    assert "on windows" not in auto["why"]
    if auto["chosen"] not in ("naive", "ets"):
        assert result.config.train.batching == "sequences"
    ensembles = [c for c in auto["candidates"] if c["name"].endswith(" x3")]
    assert not any(c["note"].startswith("skipped: the final fit trains on")
                   for c in ensembles)
