"""report.html opened in a real browser: Debian's headless Chromium, driven by Playwright (no browser download;
`.ci/run` installs the `chromium` package when it is missing). The page must log no console error, draw every
chart at a non-zero size, and make no request at all beyond its own file. A screenshot is saved in the test's
tmp dir; with COSTKIT_SCREENSHOT=PATH the demo report's first screen is saved there too (the README's picture).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from report_sample import sample_report
from typer.testing import CliRunner

from costkit.cli import app
from costkit.present import report_html

CHROMIUM = Path(os.environ.get("COSTKIT_CHROMIUM", "/usr/bin/chromium"))
# The flags a sandboxed CI container needs, and none of Chromium's own background traffic.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
]

playwright = pytest.importorskip("playwright.sync_api", reason="playwright is a test dependency: pip install '.[test]'")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.is_file(),
    reason=f"no Chromium at {CHROMIUM}: install Debian's package (apt-get install chromium); CI's .ci/run does",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True)
        yield launched
        launched.close()


def open_report(browser: Any, path: Path, screenshot: Path) -> dict[str, Any]:
    """Load the page; return what it logged and requested, and each chart's drawn size."""
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    console: list[str] = []
    requests: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
    page.on("request", lambda request: requests.append(request.url))
    page.route("**/*", lambda route: route.continue_() if route.request.url == path.as_uri() else route.abort())
    page.goto(path.as_uri(), wait_until="load")
    charts = page.eval_on_selector_all(
        "img.chart",
        """images => images.map(i => ({chart: i.dataset.chart, complete: i.complete, natural: i.naturalWidth,
            width: i.getBoundingClientRect().width, height: i.getBoundingClientRect().height}))""",
    )
    text = page.inner_text("body")
    scripts = page.eval_on_selector_all("script", "s => s.length")
    page.screenshot(path=str(screenshot), full_page=True)
    page.screenshot(
        path=str(screenshot.with_suffix(".top.png")),
        full_page=True,
        clip={"x": 0, "y": 0, "width": 1200, "height": 1900},
    )
    page.close()
    return {"console": console, "requests": requests, "charts": charts, "text": text, "scripts": scripts}


def _check(seen: dict[str, Any], path: Path, expected_charts: set[str]) -> None:
    assert [line for line in seen["console"] if not line.startswith(("log:", "info:", "debug:"))] == []
    assert seen["requests"] == [path.as_uri()]  # the page itself, nothing else
    assert {chart["chart"] for chart in seen["charts"]} == expected_charts
    for chart in seen["charts"]:
        assert chart["complete"], chart
        assert chart["natural"] > 0, chart
        assert chart["width"] > 100, chart
        assert chart["height"] > 50, chart
    assert seen["scripts"] == 0


ALL_CHARTS = {"history", "drivers", "services", "pipelines", "showback", "daily", "compute_mix"}


def test_the_report_renders_in_chromium_with_no_errors_and_no_requests(browser: Any, tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    path.write_text(report_html.render(sample_report()), encoding="utf-8")
    shot = tmp_path / "report.png"
    seen = open_report(browser, path, shot)
    _check(seen, path, ALL_CHARTS)
    assert shot.stat().st_size > 10_000
    # The hostile pipeline name is shown as text, not run or linked; every section is on the page.
    assert "<script>alert(1)</script>" in seen["text"]
    assert "\\x1b[31m" in seen["text"]
    for title in ("Headline", "Why it changed", "By service", "Per pipeline", "Showback", "Anomalies", "Savings"):
        assert title in seen["text"]
    assert "Total for 2026-10: $13.50" in seen["text"]
    assert "Against 2026-09: $10.00, +$3.50 (+35.0%)" in seen["text"]  # 13.50 - 10.00, 3.50 / 10.00


def test_a_first_month_with_nothing_to_compare_renders_too(browser: Any, tmp_path: Path) -> None:
    bare = sample_report(previous=None, mom_delta_usd=None, mom_delta_pct=None, drivers=[], top_movers=[], history=[])
    bare.update(daily=[], compute_mix=[], anomalies=[], savings={}, showback={}, budget=None)
    path = tmp_path / "report.html"
    path.write_text(report_html.render(bare), encoding="utf-8")
    seen = open_report(browser, path, tmp_path / "report.png")
    _check(seen, path, {"history", "services", "pipelines"})
    assert "No previous month in the history" in seen["text"]


def test_the_demo_report_from_the_readme(browser: Any, tmp_path: Path) -> None:
    """The README's two commands, then the page they write, in the browser."""
    history, out = tmp_path / "demo-history", tmp_path / "demo-report"
    collect = ["collect", "--demo", "--history", str(history), "--since", "2026-07", "--month", "2026-11", "--quiet"]
    collected = CliRunner().invoke(app, collect)
    assert collected.exit_code == 0, collected.output
    made = CliRunner().invoke(app, ["report", "--month", "2026-11", "--history", str(history), "--out", str(out)])
    assert made.exit_code == 0, made.output
    shot = tmp_path / "report.png"
    seen = open_report(browser, out / "report.html", shot)
    data = json.loads((out / "report.json").read_text())
    owners = {"showback"} if (data.get("showback") or {}).get("owners") else set()
    _check(seen, out / "report.html", {"history", "drivers", "services", "pipelines", "daily", "compute_mix"} | owners)
    assert "CI/CD cost report: 2026-11" in seen["text"]
    assert "Against 2026-10" in seen["text"]
    wanted = os.environ.get("COSTKIT_SCREENSHOT")
    if wanted:
        shutil.copyfile(shot.with_suffix(".top.png"), wanted)
