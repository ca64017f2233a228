"""Run folders that cannot lie: a run is swapped in whole, a kill at any file
boundary of a save leaves the old run or the new (never a mix), a full disk
leaves the old run, a second writer is refused, and state (a tune's journal,
a fit's checkpoints) survives the swap."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from robust_helpers import FIT_SCRIPT, cli_process
from typer.testing import CliRunner

from conftest import ar_series
from lstmcast.cli.app import app
from lstmcast.cli.folders import KEEP, save_run, writing_run
from lstmcast.core import runfolder
from lstmcast.core.config import ForecastConfig
from lstmcast.core.errors import DataError
from lstmcast.core.manifest import open_folder
from lstmcast.core.persist import atomic_write_bytes
from lstmcast.evaluation.holdout import fit_evaluate
from lstmcast.forecaster.estimator import LSTMForecaster
from lstmcast.report import runs

TINY = ForecastConfig().replace(target="y", hidden_size=4, window=8, epochs=2,
                                threads=1, patience=0)
FAST = ["--target", "y", "--no-auto", "--hidden-size", "4", "--window", "8",
        "--epochs", "2", "--threads", "1", "--quiet"]
JOURNAL = b'{"op_code": 0, "worker_id": "a study"}\n'


@pytest.fixture(scope="module")
def results():
    """Two fits of the same data with other seeds: the old run and the new."""
    data = ar_series(120)
    return [fit_evaluate(data, TINY.replace(seed=seed), doctor=False)
            for seed in (0, 1)]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _checked(out: Path) -> str:
    """The metrics hash of the complete run in ``out``, after checking that its
    manifest lists every file and every hash matches."""
    with open_folder(out, fix="") as folder:
        folder.check_all()
        assert folder.complete and folder.unlisted() == [], folder.unlisted()
    LSTMForecaster.load(out).predict(1)
    return _sha(out / "metrics.json")


def _leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(
        f".{out.name}."))


def _small_report(monkeypatch) -> None:
    """A one-line report.html (the figures take seconds; the page is still one
    atomic file of the run)."""
    monkeypatch.setattr(runs, "write_report", lambda out: atomic_write_bytes(
        Path(out) / runs.REPORT, b"<html>report</html>"))


def _old_run(out: Path, result) -> str:
    """``out`` holding a complete run and a study journal (state)."""
    out.mkdir(parents=True)
    (out / "study.journal").write_bytes(JOURNAL)
    with writing_run(out, "fit", force=True):
        save_run(out, result.save)
    return _checked(out)


BOUNDARY_OPS = ((os, "replace"), (os, "rename"), (os, "mkdir"), (os, "link"),
                (shutil, "rmtree"), (runfolder, "_exchange"))


def _count_boundaries(seen: list[str], kill_at: int | None = None) -> None:
    """Wrap every operation that changes the folders: each call is counted, and
    the ``kill_at``-th is preceded by SIGKILL (as a crash would strike)."""
    for owner, name in BOUNDARY_OPS:
        real = getattr(owner, name)

        def op(*args, real=real, name=name, **kwargs):
            seen.append(name)
            if len(seen) == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
            return real(*args, **kwargs)
        setattr(owner, name, op)


def _no_exchange(*args) -> None:
    raise OSError(errno.EINVAL, "not supported here")


@pytest.mark.parametrize("swap", ["exchange", "two renames"])
def test_a_kill_at_every_file_boundary_leaves_the_old_or_the_new_run(
        results, swap, tmp_path, monkeypatch):
    _small_report(monkeypatch)
    if swap == "two renames":  # where renameat2 cannot exchange two folders
        monkeypatch.setattr(runfolder, "_exchange", _no_exchange)
    old = _old_run(tmp_path / "model" / "out", results[0])
    template = tmp_path / "model"
    reference = tmp_path / "reference" / "out"
    shutil.copytree(template, reference.parent)
    seen: list[str] = []
    with monkeypatch.context() as m:
        for owner, name in BOUNDARY_OPS:
            m.setattr(owner, name, getattr(owner, name))  # undone after counting
        _count_boundaries(seen)
        with writing_run(reference, "fit", force=True):
            save_run(reference, results[1].save)
    new = _checked(reference)
    assert len(seen) >= 12, seen  # each file's rename, the stage, the swap
    states = []
    for kill_at in range(1, len(seen) + 2):
        out = tmp_path / f"k{kill_at}" / "out"
        shutil.copytree(template, out.parent)
        pid = os.fork()
        if pid == 0:  # the child saves the new run and is killed at a boundary
            try:
                _count_boundaries([], kill_at)
                with writing_run(out, "fit", force=True):
                    save_run(out, results[1].save)
            finally:
                os._exit(0)
        _, status = os.waitpid(pid, 0)
        killed = os.WIFSIGNALED(status)
        assert killed == (kill_at <= len(seen)), (kill_at, status)
        with runfolder.locked(out, "the next command", KEEP):  # cleans up
            pass
        states.append(_checked(out))
        assert _leftovers(out) == [], (kill_at, _leftovers(out))
        assert (out / "study.journal").read_bytes() == JOURNAL, kill_at
    assert set(states) <= {old, new}
    switched = states.index(new)  # old until the swap, new from it on
    assert states == [old] * switched + [new] * (len(states) - switched)
    assert 0 < switched < len(states) - 1


def test_a_failed_save_leaves_the_old_run_and_says_so(results, tmp_path,
                                                      monkeypatch):
    _small_report(monkeypatch)
    out = tmp_path / "out"
    old = _old_run(out, results[0])
    real = os.replace

    def full(src, dst):  # the disk fills up at the third file of the new run
        if Path(dst).name == "metrics.json":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(src, dst)
    monkeypatch.setattr(os, "replace", full)
    where = re.escape(str(out))
    with pytest.raises(DataError, match=rf"Could not save the run to {where}: No "
                                        rf"space left on device\. {where} holds "
                                        r"its previous run, unchanged; free some "
                                        "space, or choose another --out"), \
            writing_run(out, "fit", force=True):
        save_run(out, results[1].save)
    monkeypatch.undo()
    assert _checked(out) == old and _leftovers(out) == []


@pytest.fixture
def tiny_disk(tmp_path):
    """A 2 MB tmpfs (mounting one needs root: skipped elsewhere)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs",
                              str(disk)], capture_output=True, text=True)
    if mounted.returncode:
        pytest.skip(f"mount is not permitted here: {mounted.stderr.strip()}")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=False)


def test_disk_full_on_a_tiny_tmpfs_keeps_the_previous_run(results, tiny_disk,
                                                          tmp_path):
    csv, out = tmp_path / "data.csv", tiny_disk / "out"
    ar_series(120).to_csv(csv, index=False)
    old = _old_run(out, results[0])  # with its real report
    stat = os.statvfs(tiny_disk)
    size = sum(p.stat().st_size for p in out.iterdir())
    filler = tiny_disk / "filler"
    filler.write_bytes(b"x" * (stat.f_bavail * stat.f_frsize - size // 2))
    res = CliRunner().invoke(app, ["fit", str(csv), "--out", str(out), "--force",
                                   *FAST])
    assert res.exit_code == 2, res.output
    assert "No space left on device" in res.output
    assert f"{out} holds its previous run, unchanged" in " ".join(res.output.split())
    assert "Traceback" not in res.output
    assert _checked(out) == old and _leftovers(out) == []
    filler.unlink()
    res = CliRunner().invoke(app, ["fit", str(csv), "--out", str(out), "--force",
                                   *FAST])
    assert res.exit_code == 0, res.output
    assert _checked(out) != old and _leftovers(out) == []


def test_a_second_writer_is_refused_naming_the_first(results, tmp_path):
    csv, out = tmp_path / "data.csv", tmp_path / "out"
    ar_series(120).to_csv(csv, index=False)
    old = _old_run(out, results[0])
    with runfolder.locked(out, "tune"):
        for args in (["fit", str(csv), "--out", str(out), "--force", *FAST],
                     ["report", str(out)]):
            res = CliRunner().invoke(app, args)
            assert res.exit_code == 2, res.output
            text = " ".join(res.output.split())
            assert (f"{out} is being written by another lstmcast (`lstmcast tune`, "
                    f"process {os.getpid()}, since 20") in text
            assert "Wait for it to finish, or choose another --out" in text
    assert _checked(out) == old
    assert _leftovers(out) == []  # the lock file goes with the lock


def test_two_fit_force_processes_one_writes_the_other_is_refused(tmp_path):
    script, csv, out = tmp_path / "run.py", tmp_path / "data.csv", tmp_path / "out"
    script.write_text(FIT_SCRIPT)
    ar_series(150).to_csv(csv, index=False)
    first = cli_process(script, csv, out, "--force", slow="0.4")
    deadline = time.monotonic() + 240
    while not (tmp_path / ".out.lock").exists():
        assert first.poll() is None, first.communicate()[0].decode()
        assert time.monotonic() < deadline, "the first writer never took the lock"
        time.sleep(0.05)
    second = cli_process(script, csv, out, "--force", "--seed", "5")
    refused = second.communicate(timeout=240)[0].decode()
    assert second.returncode == 2, refused
    assert f"process {first.pid}" in " ".join(refused.split())
    written = first.communicate(timeout=300)[0].decode()
    assert first.returncode == 0, written
    assert json.loads((out / "config.json").read_text())["train"]["seed"] == 0
    _checked(out)
    assert _leftovers(out) == []


def test_stale_files_of_another_run_kind_never_outlive_a_new_fit(results, tmp_path,
                                                                 monkeypatch):
    _small_report(monkeypatch)
    out = tmp_path / "out"
    out.mkdir()
    for name in ("tune.json", "ladder.json", "trials.csv", "model.safetensors"):
        (out / name).write_text("{}")  # an improve/tune run of an older release
    with writing_run(out, "fit", force=True):
        save_run(out, results[0].save)
    assert not {"tune.json", "ladder.json", "trials.csv"} & {
        p.name for p in out.iterdir()}
    assert runs.run_kind(out) == "fit"
    _checked(out)


def test_state_survives_the_swap_and_is_not_hashed(
        results, tmp_path, monkeypatch):
    _small_report(monkeypatch)
    out = tmp_path / "out"
    _old_run(out, results[0])
    (out / "checkpoint").mkdir()
    (out / "checkpoint" / "session.json").write_text("{}")
    (out / "study.journal").write_bytes(JOURNAL * 2)  # a resumed study grew
    with writing_run(out, "tune", force=None):
        save_run(out, results[1].save)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["state"] == list(KEEP) and manifest["complete"] is True
    assert not set(KEEP) & set(manifest["files"])
    assert (out / "study.journal").read_bytes() == JOURNAL * 2
    assert (out / "checkpoint" / "session.json").read_text() == "{}"
    _checked(out)


def test_tune_resumes_its_study_across_runs_of_the_command(tmp_path):
    csv, out = tmp_path / "data.csv", tmp_path / "tune"
    ar_series(150).to_csv(csv, index=False)
    flags = ["--target", "y", "--epochs", "2", "--hidden-size", "4", "--window",
             "7", "--folds", "1", "--threads", "1", "--out", str(out), "--quiet"]
    for trials in (1, 2):
        res = CliRunner().invoke(app, ["tune", str(csv), "--trials", str(trials),
                                       *flags])
        assert res.exit_code == 0, res.output
        info = json.loads((out / "tune.json").read_text())
        assert info["n_trials"] == trials  # the second run adds one trial
    assert (out / "study.journal").stat().st_size > 0
    _checked(out)


def test_report_rebuilds_a_sealed_run_and_refuses_a_changed_one(results, tmp_path):
    out = tmp_path / "out"
    _old_run(out, results[0])
    (out / "report.html").unlink()
    res = CliRunner().invoke(app, ["report", str(out)])
    assert res.exit_code == 0, res.output
    _checked(out)
    runs.write_report(out)  # from Python: the page's entry is updated
    _checked(out)
    (out / "notes.txt").write_text("mine")
    res = CliRunner().invoke(app, ["report", str(out)])
    assert res.exit_code == 2 and "notes.txt, which its manifest.json does not " \
        "list" in " ".join(res.output.split())
    (out / "notes.txt").unlink()
    (out / "metrics.json").write_text((out / "metrics.json").read_text() + " ")
    res = CliRunner().invoke(app, ["report", str(out)])
    assert res.exit_code == 2 and "metrics.json holds" in res.output


def test_a_folder_of_the_previous_release_still_loads_and_reports(results,
                                                                  tmp_path):
    """Its manifest lists the model files only, without sizes: the model is
    checked as before, the page is rewritten beside the files."""
    out = tmp_path / "out"
    _old_run(out, results[0])
    manifest = json.loads((out / "manifest.json").read_text())
    model = ("model.safetensors", "config.json", "pipeline.json", "model.json")
    legacy = {"files": {n: manifest["files"][n] for n in model},
              "run": manifest["run"]}
    (out / "manifest.json").write_text(json.dumps(legacy))
    LSTMForecaster.load(out).predict(1)
    res = CliRunner().invoke(app, ["report", str(out)])
    assert res.exit_code == 0, res.output
    assert json.loads((out / "manifest.json").read_text()) == legacy
    (out / "metrics.json").write_text('{"models": {"lstm": 5}}')  # unchecked
    res = CliRunner().invoke(app, ["report", str(out)])
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "holds a file the report cannot read" in " ".join(res.output.split())


def test_a_folder_holding_other_files_or_the_current_folder_is_refused(
        tmp_path, monkeypatch):
    """A run replaces its whole folder: files it did not write are never
    deleted, and the folder lstmcast runs in is never swapped away."""
    csv = tmp_path / "data.csv"
    ar_series(120).to_csv(csv, index=False)
    res = CliRunner().invoke(app, ["fit", str(csv), "--out", str(tmp_path),
                                   "--force", *FAST])
    assert res.exit_code == 2, res.output
    assert "holds data.csv, which no lstmcast command wrote" in " ".join(
        res.output.split())
    assert csv.is_file()
    (tmp_path / "run").mkdir()
    monkeypatch.chdir(tmp_path / "run")
    res = CliRunner().invoke(app, ["fit", str(csv), "--out", ".", *FAST])
    assert res.exit_code == 2 and ". is the current folder or holds it" in \
        " ".join(res.output.split())
    assert list((tmp_path / "run").iterdir()) == []


def test_a_reader_never_mixes_the_run_it_opened_with_a_newer_one(
        results, tmp_path, monkeypatch):
    """A reader opens the folder once: after a swap it finds the files of its
    run gone (a clear error), never a file of the new run."""
    _small_report(monkeypatch)
    out = tmp_path / "out"
    old = _old_run(out, results[0])
    with open_folder(out, fix="Read it again.") as reader:
        with writing_run(out, "fit", force=True):
            save_run(out, results[1].save)
        with pytest.raises(DataError, match=r"metrics\.json is missing\. Read it "
                                            "again"):
            reader.read("metrics.json")
    assert _checked(out) != old
