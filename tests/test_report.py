import os
import re
import shutil
import subprocess
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import ar_series
from lstmcast.cli import app
from lstmcast.report import verdict, write_fit_report

ARTIFACTS = Path(__file__).resolve().parents[1] / "runs" / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    data = folder / "data.csv"
    ar_series(200).to_csv(data, index=False)
    res = CliRunner().invoke(app, ["fit", str(data), "--target", "y", "--out",
                                   str(folder / "out"), "--hidden-size", "8",
                                   "--epochs", "3", "--window", "12", "--quiet"])
    assert res.exit_code == 0, res.output
    return folder / "out"


def test_fit_writes_a_self_contained_report(run_dir):
    text = (run_dir / "report.html").read_text()
    assert text.count("<img ") == 4 and text.count("data:image/png;base64,") == 4
    assert "<script" not in text and not re.search(r"(src|href)=['\"]https?:", text)
    for heading in ("Test part, original scale", "What the doctor says", "Forecasts",
                    "Data", "Residuals", "Training", "Settings"):
        assert f"<h2>{heading}</h2>" in text
    assert text.index("verdict") < text.index("<h2>Forecasts</h2>")


def test_report_command_rebuilds_it(run_dir):
    (run_dir / "report.html").unlink()
    res = CliRunner().invoke(app, ["report", str(run_dir)])
    assert res.exit_code == 0 and (run_dir / "report.html").exists()
    res = CliRunner().invoke(app, ["report", str(run_dir / "nothing")])
    assert res.exit_code == 2 and "finished `lstmcast fit`" in res.output


def test_verdict_in_plain_words():
    good = {"lstm": {"r2": 0.8, "skill_vs_naive": 0.4}, "naive": {"r2": 0.6}}
    bad = {"lstm": {"r2": 0.99, "skill_vs_naive": -0.1}, "naive": {"r2": 0.995}}
    assert verdict(good) == ("The LSTM beats the naive forecast by 40% in squared "
                             "error (R² 0.800).", "good")
    text, tone = verdict(bad)
    assert tone == "bad" and "no better than repeating the last value" in text


def test_rebuild_from_missing_files_is_a_clear_error(tmp_path):
    with pytest.raises(Exception, match="no metrics.json"):
        write_fit_report(tmp_path)


CHECK_PAGE = """<!DOCTYPE html><html><body><iframe id="r" src="report.html"
style="width:1280px;height:3000px"></iframe><script>
document.getElementById('r').onload = function () {
  var doc = this.contentDocument, imgs = Array.from(doc.images);
  var ok = imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; });
  document.title = 'images ' + ok.length + '/' + imgs.length + ' h2 ' +
    doc.querySelectorAll('h2').length;
};</script></body></html>"""


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is installed by "
                    ".ci/run; install it to run this test locally")
def test_report_renders_in_headless_chromium(run_dir, tmp_path):
    (run_dir / "check.html").write_text(CHECK_PAGE)
    handler = partial(SimpleHTTPRequestHandler, directory=str(run_dir))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-quic", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000"]
    try:
        dom = subprocess.run([*flags, "--dump-dom", f"{base}/check.html"],
                             capture_output=True, text=True, timeout=120).stdout
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / "report.png"
        subprocess.run([*flags, f"--screenshot={shot}", "--window-size=1280,2400",
                        f"{base}/report.html"], capture_output=True, timeout=120,
                       env={**os.environ})
    finally:
        server.shutdown()
    assert "<title>images 4/4 h2 7</title>" in dom
    assert shot.exists() and shot.stat().st_size > 10_000


def test_diagnose_writes_its_report(tmp_path):
    data = tmp_path / "data.csv"
    ar_series(200).to_csv(data, index=False)
    res = CliRunner().invoke(app, ["diagnose", str(data), "--target", "y", "--out",
                                   str(tmp_path / "d")])
    assert res.exit_code == 0, res.output
    text = (tmp_path / "d" / "report.html").read_text()
    assert text.count("data:image/png;base64,") == 3
    assert "<h2>Recommended settings</h2>" in text and "Stationarity:" in text
