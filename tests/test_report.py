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
from lstmcast.cli.app import app
from lstmcast.report.fit import write_fit_report
from lstmcast.report.runs import run_kind, verdict, write_report

ARTIFACTS = Path(__file__).resolve().parents[1] / "runs" / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def fit_dir(run_dir):
    return run_dir


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    data = folder / "data.csv"
    ar_series(200).to_csv(data, index=False)
    res = CliRunner().invoke(app, ["fit", str(data), "--target", "y", "--out",
                                   str(folder / "out"), "--no-auto",
                                   "--hidden-size", "8", "--epochs", "3", "--window",
                                   "12", "--threads", "1", "--quiet"])
    assert res.exit_code == 0, res.output
    return folder / "out"


def test_fit_writes_a_self_contained_report(run_dir):
    text = (run_dir / "report.html").read_text()
    assert text.count("<img ") == 5 and text.count("data:image/png;base64,") == 5
    assert "<script" not in text and not re.search(r"(src|href)=['\"]https?:", text)
    for heading in ("Test part, original scale", "What the doctor says", "Forecasts",
                    "Forecast with prediction intervals", "Data", "Residuals",
                    "Training", "Settings"):
        assert f"<h2>{heading}</h2>" in text
    assert text.index("verdict") < text.index("<h2>Forecasts</h2>")
    # the fan chart says how its bands were made, as metrics.json does
    assert "intervals: conformal: errors of its forecasts of the validation" in text


def test_the_fan_chart_caption_reads_how_the_bands_were_made():
    from lstmcast.report.fit import _bands_made
    said = _bands_made({"intervals": {"method": {"lstm": "conformal: at step 1"}}})
    assert said == "conformal: at step 1"
    for old in ({}, {"intervals": []}, {"intervals": {"method": {"lstm": 3}}}):
        assert "validation part at each step ahead" in _bands_made(old)


def test_report_command_rebuilds_it(run_dir):
    (run_dir / "report.html").unlink()
    res = CliRunner().invoke(app, ["report", str(run_dir)])
    assert res.exit_code == 0 and (run_dir / "report.html").exists()
    res = CliRunner().invoke(app, ["report", str(run_dir / "nothing")])
    assert res.exit_code == 2 and "finished `lstmcast fit`" in res.output
    assert "does not exist" in res.output


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

@pytest.fixture(scope="module")
def diagnose_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("diag")
    ar_series(200).to_csv(folder / "data.csv", index=False)
    res = CliRunner().invoke(app, ["diagnose", str(folder / "data.csv"), "--target",
                                   "y", "--out", str(folder / "out")])
    assert res.exit_code == 0, res.output
    return folder / "out"


def _images(text):
    return text.count("<img "), text.count("data:image/png;base64,")


def test_diagnose_writes_its_report_and_rebuilds_it(diagnose_dir):
    text = (diagnose_dir / "report.html").read_text()
    assert _images(text) == (3, 3)
    for heading in ("Problems and recommendations", "Data", "Stationarity",
                    "Trend and season", "Autocorrelation", "Recommended settings"):
        assert f"<h2>{heading}</h2>" in text
    assert "Stationarity:" in text and "KPSS p" in text
    (diagnose_dir / "report.html").unlink()
    assert run_kind(diagnose_dir) == "diagnose"
    assert write_report(diagnose_dir).read_text().count("<img ") == 3


def test_report_of_an_empty_folder_exits_2(tmp_path):
    res = CliRunner().invoke(app, ["report", str(tmp_path)])
    assert res.exit_code == 2 and "holds no finished run" in res.output
    assert "Traceback" not in res.output


CHECK_PAGE = """<!DOCTYPE html><html><body><iframe id="r" src="report.html"
style="width:1280px;height:3000px"></iframe><script>
document.getElementById('r').onload = function () {
  var doc = this.contentDocument, imgs = Array.from(doc.images);
  var ok = imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; });
  document.title = 'images ' + ok.length + '/' + imgs.length + ' h2 ' +
    doc.querySelectorAll('h2').length;
};</script></body></html>"""


REQUESTED: list[str] = []


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        REQUESTED.append(self.path)
        super().do_GET()


def _open_in_chromium(folder, shot, profile):
    """(title set by CHECK_PAGE, console lines, paths requested) of the report
    in ``folder``, and a screenshot of it at ``shot``."""
    (folder / "check.html").write_text(CHECK_PAGE)
    REQUESTED.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet,
                                                           directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-quic", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", "--virtual-time-budget=5000",
             "--enable-logging=stderr", "--v=0"]
    try:
        dom = subprocess.run([*flags, "--dump-dom", f"{base}/check.html"],
                             capture_output=True, text=True, timeout=120).stdout
        run = subprocess.run([*flags, f"--screenshot={shot}", "--hide-scrollbars",
                              "--window-size=1280,2600", f"{base}/report.html"],
                             capture_output=True, text=True, timeout=120,
                             env={**os.environ})
    finally:
        server.shutdown()
        (folder / "check.html").unlink()
    console = [line for line in run.stderr.splitlines() if ":CONSOLE" in line]
    return dom, console, sorted(set(REQUESTED))


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is installed by "
                    ".ci/run; install it to run this test locally")
@pytest.mark.parametrize("kind", ["fit", "diagnose"])
def test_report_renders_in_headless_chromium(kind, request, tmp_path):
    check_in_chromium(kind, request.getfixturevalue(f"{kind}_dir"), tmp_path)


def check_in_chromium(kind, folder, tmp_path):
    """Every image rendered, no console message, no request but the page's own;
    the screenshot is kept in runs/test-artifacts/."""
    text = (folder / "report.html").read_text()
    n_img, n_h2 = text.count("<img "), text.count("<h2>")
    assert n_img >= 3
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / ("report.png" if kind == "fit" else f"report-{kind}.png")
    dom, console, requested = _open_in_chromium(folder, shot, tmp_path / "profile")
    assert f"<title>images {n_img}/{n_img} h2 {n_h2}</title>" in dom
    assert console == []  # no script errors, no failed loads
    assert set(requested) <= {"/check.html", "/report.html", "/favicon.ico"}
    assert shot.exists() and shot.stat().st_size > 10_000
