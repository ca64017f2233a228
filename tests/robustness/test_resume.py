"""Checkpoints and --resume (checklist 31, 32, 41): a run killed mid-training
resumes to exactly the weights and forecasts of an uninterrupted run on the
CPU; resuming with other data or settings, or from a damaged or hostile
checkpoint, is refused."""

from __future__ import annotations

import json
import os
import pickle
import re
import signal
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from robust_helpers import FIT_FLAGS, FIT_SCRIPT, cli_process

from conftest import Killed, ar_series, killed_after, killed_then_resumed
from lstmcast.core.config import TrainConfig
from lstmcast.core.errors import DataError
from lstmcast.network import train as train_module
from lstmcast.network.checkpoint import checkpointing
from lstmcast.network.model import LSTMNet
from lstmcast.network.train import train
from lstmcast.network.windows import WindowSet


def windows(n: int = 120, shift: float = 0.0) -> tuple[WindowSet, WindowSet]:
    z = np.sin(np.arange(n) / 2.0) + shift + 0.1 * np.random.default_rng(0).normal(
        size=n)
    feats = torch.tensor(z, dtype=torch.float32).reshape(n, 1)
    targets = torch.full((n, 1), float("nan"))
    targets[:-1, 0] = feats[1:, 0]
    return (WindowSet(feats, targets, 8, np.arange(7, 90)),
            WindowSet(feats, targets, 8, np.arange(90, n - 1)))


CFG = TrainConfig(epochs=6, batch_size=16, patience=0, seed=3, lr=0.01,
                  scheduler="onecycle", threads=1)


def run(cfg: TrainConfig = CFG, data=None, dropout: float = 0.2):
    torch.manual_seed(0)
    net = LSTMNet(1, 8, num_layers=2, dropout=dropout)
    result = train(net, *(data or windows()), cfg)
    return net, result



def test_31_resume_in_process_equals_an_uninterrupted_run(tmp_path, monkeypatch):
    whole, whole_result = run()
    folder = tmp_path / "ck"
    net, result, saved = killed_then_resumed(run, folder, 3, monkeypatch)
    assert saved == 3
    for (name, a), b in zip(whole.state_dict().items(), net.state_dict().values(),
                            strict=True):
        assert torch.equal(a, b), name
    assert result.history == whole_result.history
    assert result.best_epoch == whole_result.best_epoch
    assert not folder.exists()  # finished: the checkpoints are removed


def test_32_resume_with_other_settings_or_data_is_refused(tmp_path, monkeypatch):
    folder = tmp_path / "ck"
    killed_after(2, monkeypatch)
    with pytest.raises(Killed), checkpointing(folder, every=1):
        run()
    monkeypatch.undo()
    with pytest.raises(DataError, match=r"Cannot resume training run 1: .*"
                                        r"settings\.lr: 0\.01 then, 0\.02 now.*"
                                        r"start again without --resume"), \
            checkpointing(folder, every=1, resume=True):
        run(TrainConfig(**{**CFG.__dict__, "lr": 0.02}))
    with pytest.raises(DataError, match=r"windows changed"), \
            checkpointing(folder, every=1, resume=True):
        run(data=windows(shift=1.0))
    with pytest.raises(DataError, match=r"network changed"), \
            checkpointing(folder, every=1, resume=True):
        run(dropout=0.3)
    with pytest.raises(DataError, match=r"Cannot resume the fit: .*data_sha256 "
                                        r"changed"), \
            checkpointing(folder, every=1, resume=True,
                          context={"data_sha256": "0" * 64}):
        pass


def test_resume_without_a_checkpoint_says_what_to_do(tmp_path):
    with pytest.raises(DataError, match=r"--resume: there is no checkpoint in .*"
                                        r"without --resume, with --checkpoint-every"), \
            checkpointing(tmp_path / "none", resume=True):
        pass


def _interrupted(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "ck"
    killed_after(2, monkeypatch)
    with pytest.raises(Killed), checkpointing(folder, every=1):
        run()
    monkeypatch.undo()
    return folder


class Payload:
    def __reduce__(self):
        return (os.system, ("touch PWNED",))


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_41_checkpoint_with_a_pickle_payload_is_never_executed(tmp_path,
                                                               monkeypatch):
    import hashlib
    folder = _interrupted(tmp_path, monkeypatch)
    monkeypatch.chdir(tmp_path)
    meta = json.loads((folder / "run0.json").read_text())
    hostile = pickle.dumps({"net": Payload()})
    (folder / meta["file"]).write_bytes(hostile)
    meta["sha256"] = hashlib.sha256(hostile).hexdigest()
    (folder / "run0.json").write_text(json.dumps(meta))
    with pytest.raises(DataError, match=r"not a checkpoint lstmcast can read "
                                        r"safely.*nothing in it was run"), \
            checkpointing(folder, resume=True):
        run()
    assert not (tmp_path / "PWNED").exists()


def test_truncated_checkpoint_is_detected(tmp_path, monkeypatch):
    folder = _interrupted(tmp_path, monkeypatch)
    meta = json.loads((folder / "run0.json").read_text())
    path = folder / meta["file"]
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(DataError, match=r"does not match its recorded hash: it was "
                                        r"truncated or changed\. Delete"), \
            checkpointing(folder, resume=True):
        run()


@pytest.mark.parametrize("record", [{"file": "../../../../etc/passwd"},
                                    {"file": "/etc/passwd"}, {"epoch": "3"},
                                    {"fingerprint": 5}])
def test_a_forged_checkpoint_record_is_refused_and_advice_stays_inside(
        tmp_path, monkeypatch, record):
    folder = _interrupted(tmp_path, monkeypatch)
    meta = json.loads((folder / "run0.json").read_text())
    (folder / "run0.json").write_text(json.dumps({**meta, **record}))
    key = next(iter(record))
    with pytest.raises(DataError, match=rf"run0\.json: key {key} must be .*"
                                        rf"Delete {re.escape(str(folder))} and fit "
                                        r"again without --resume\.$") as exc, \
            checkpointing(folder, resume=True):
        run()
    assert "Delete /etc" not in str(exc.value)


# --- a real process, killed with SIGKILL ---------------------------------------

def _epoch(out: Path) -> int:
    try:
        return json.loads((out / "checkpoint" / "run0.json").read_text())["epoch"]
    except (OSError, ValueError, KeyError):
        return 0


def test_31_sigkill_then_resume_matches_an_uninterrupted_fit(tmp_path):
    script, csv = tmp_path / "run.py", tmp_path / "data.csv"
    script.write_text(FIT_SCRIPT)
    ar_series(150).to_csv(csv, index=False)
    killed_out, whole_out = tmp_path / "killed", tmp_path / "whole"
    victim = cli_process(script, csv, killed_out, "--checkpoint-every", "1",
                         slow="0.4")
    whole = cli_process(script, csv, whole_out)
    deadline = time.monotonic() + 240
    while _epoch(killed_out) < 3 and victim.poll() is None:
        assert time.monotonic() < deadline, "no checkpoint appeared"
        time.sleep(0.05)
    assert victim.poll() is None, victim.communicate()[0].decode()
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    assert victim.returncode == -signal.SIGKILL
    stopped_at = _epoch(killed_out)
    assert 3 <= stopped_at < 8 and not (killed_out / "model.safetensors").exists()
    resumed = cli_process(script, csv, killed_out, "--resume")
    for proc in (resumed, whole):
        output = proc.communicate(timeout=300)[0].decode()
        assert proc.returncode == 0, output
    for name in ("model.safetensors", "test_predictions.csv"):
        assert (killed_out / name).read_bytes() == (whole_out / name).read_bytes(), name
    assert not (killed_out / "checkpoint").exists()
    history = json.loads((killed_out / "model.json").read_text())["history"]
    assert [h["epoch"] for h in history["history"]] == list(range(1, 9))


# --- 33. an --out folder that already holds a run ------------------------------

def test_33_existing_out_is_refused_unless_force(tmp_path):
    from typer.testing import CliRunner

    from lstmcast.cli.app import app
    csv, out = tmp_path / "data.csv", tmp_path / "run"
    ar_series(100).to_csv(csv, index=False)
    fast = ["--target", "y", "--hidden-size", "4", "--window", "8", "--epochs", "1",
            "--threads", "1", "--quiet"]
    runner = CliRunner()
    out.mkdir()  # as a finished fit leaves it (the names are what counts)
    for name in ("manifest.json", "metrics.json", "model.safetensors"):
        (out / name).write_text("{}")
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    refused = [["fit", str(csv), "--out", str(out), "--seed", "5", *fast],
               ["backtest", str(csv), "--out", str(out), "--folds", "2",
                "--models", "naive", *fast],
               ["improve", str(csv), "--out", str(out), "--trials", "0",
                "--classical", "none", *fast]]
    for args in refused:
        res = runner.invoke(app, args)
        assert res.exit_code == 2, (args[0], res.output)
        assert f"{out} already holds a model or run from 20" in res.output
        assert "use --force to replace it, or another --out" in res.output
        assert "Traceback" not in res.output
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert after == before  # nothing deleted or changed
    res = runner.invoke(app, ["fit", str(csv), "--out", str(out), "--seed", "5",
                              "--force", "--no-auto", *fast])
    assert res.exit_code == 0, res.output
    assert (out / "model.safetensors").read_bytes() != before["model.safetensors"]


# --- 31. Ctrl-C / SIGTERM: a final checkpoint, then --resume -------------------

def test_31_ctrl_c_writes_a_final_checkpoint_then_resume_matches(tmp_path,
                                                                monkeypatch):
    from typer.testing import CliRunner

    from lstmcast.cli.app import app
    from lstmcast.report import fit as report
    script, csv = tmp_path / "run.py", tmp_path / "data.csv"
    script.write_text(FIT_SCRIPT)
    ar_series(150).to_csv(csv, index=False)
    stopped_out, whole_out = tmp_path / "stopped", tmp_path / "whole"
    # every 3 epochs: a checkpoint at epoch 4 or 5 can only come from Ctrl-C
    victim = cli_process(script, csv, stopped_out, "--checkpoint-every", "3",
                         slow="0.3")
    deadline = time.monotonic() + 240
    while _epoch(stopped_out) < 3 and victim.poll() is None:
        assert time.monotonic() < deadline, "no checkpoint appeared"
        time.sleep(0.02)
    victim.send_signal(signal.SIGINT)
    output = victim.communicate(timeout=120)[0].decode()
    assert victim.returncode == 130, output
    stopped_at = _epoch(stopped_out)
    assert stopped_at % 3 and stopped_at < 8, output  # saved at the signal
    assert f"checkpoint of epoch {stopped_at} saved in" in output
    assert "Run the same command with --resume to continue" in output
    assert "Traceback" not in output
    assert not (stopped_out / "model.safetensors").exists()
    runner = CliRunner()  # the rest in this process: no second torch start-up
    monkeypatch.setattr(report, "write_fit_report", lambda out: None)  # plots: slow
    for out, extra in ((stopped_out, ["--resume"]), (whole_out, [])):
        res = runner.invoke(app, ["fit", str(csv), "--out", str(out), *FIT_FLAGS,
                                  *extra])
        assert res.exit_code == 0, res.output
    for name in ("model.safetensors", "test_predictions.csv"):
        assert (stopped_out / name).read_bytes() == (whole_out / name).read_bytes()
    assert not (stopped_out / "checkpoint").exists()


def _signalled_at(epoch: int, signals: list[int], monkeypatch) -> None:
    """Make the next training run receive ``signals`` during epoch ``epoch``."""
    real, calls = train_module._run_epoch, []

    def run_epoch(*args, **kwargs):
        calls.append(1)
        if len(calls) == epoch:
            for sig in signals:
                os.kill(os.getpid(), sig)
        return real(*args, **kwargs)
    monkeypatch.setattr(train_module, "_run_epoch", run_epoch)


def test_31_sigterm_checkpoints_the_epoch_under_way_and_exits_143(tmp_path,
                                                                monkeypatch):
    from lstmcast.network.checkpoint import Interrupted
    folder = tmp_path / "ck"
    before = signal.getsignal(signal.SIGTERM)
    _signalled_at(2, [signal.SIGTERM], monkeypatch)
    with pytest.raises(Interrupted, match=r"SIGTERM: checkpoint of epoch 2 saved "
                                          r"in .*ck\. Run the same command with "
                                          r"--resume") as caught, \
            checkpointing(folder, every=4):
        run()
    assert caught.value.exit_code == 143
    assert json.loads((folder / "run0.json").read_text())["epoch"] == 2
    assert signal.getsignal(signal.SIGTERM) is before  # handlers restored
    monkeypatch.undo()
    with checkpointing(folder, resume=True):
        net, _ = run()
    whole, _ = run()
    for key, value in whole.state_dict().items():
        assert torch.equal(value, net.state_dict()[key]), key


def test_31_a_second_ctrl_c_stops_at_once(tmp_path, monkeypatch):
    from lstmcast.network.checkpoint import Interrupted
    folder = tmp_path / "ck"
    _signalled_at(3, [signal.SIGINT, signal.SIGINT], monkeypatch)
    with pytest.raises(Interrupted, match=r"Ctrl-C: stopped at once; the last "
                                          r"checkpoint \(epoch 2\) is in") as caught, \
            checkpointing(folder, every=2):
        run()
    assert caught.value.exit_code == 130
    assert json.loads((folder / "run0.json").read_text())["epoch"] == 2
