"""The sample viewer in a real headless browser: Debian's Chromium driven through chromedriver.

Pages are opened from disk (``file://``), as a user opens them: the rows render, each filter
button shows exactly its rows, every image decodes, the ``<think>`` parts are folded until
clicked, model text never runs as script, and the page logs no error (a Content-Security-Policy
violation would). Skipped, with the reason, where Chromium, chromedriver or selenium is missing;
CI installs them (``apt-get install -y chromium chromium-driver``; ``pip install selenium``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from viewer_fixtures import HOSTILE, N, kind_a, local_run, synthetic_runs

from leaderboard.viewer.build import build_viewer
from leaderboard.viewer.template import INDEX_FILE, compare_name, page_name
from othink_bench.harness import load_run_records

CHROMIUM = os.environ.get("OTHINK_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = (
    os.environ.get("OTHINK_CHROMEDRIVER") or shutil.which("chromedriver") or "/usr/bin/chromedriver"
)

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (dev extra)")
if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
    pytest.skip(
        f"no Chromium at {CHROMIUM}: apt-get install -y chromium chromium-driver",
        allow_module_level=True,
    )
if not (os.path.isfile(CHROMEDRIVER) and os.access(CHROMEDRIVER, os.X_OK)):
    pytest.skip(
        f"no chromedriver at {CHROMEDRIVER}: apt-get install -y chromium-driver",
        allow_module_level=True,
    )

from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("viewer-browser")
    a, b = synthetic_runs(root / "runs")
    local = local_run(root / "runs", root / "data")
    out = root / "view"
    build_viewer([a, b, local], out, compare=[(a, b)])
    return {"a": a, "b": b, "local": local, "out": out, "profile": root / "profile"}


@pytest.fixture(scope="module")
def browser(site: dict[str, Path]) -> Iterator[Any]:
    opts = Options()
    opts.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
        f"--user-data-dir={site['profile']}",
    ):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An explicit driver path: selenium-manager never runs, so nothing is downloaded.
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _open(browser: Any, path: Path) -> None:
    browser.get(path.resolve().as_uri())
    assert browser.execute_script("return document.readyState") == "complete"


def _visible_rows(browser: Any) -> list[Any]:
    return [r for r in browser.find_elements(By.CSS_SELECTOR, "tr.sample") if r.is_displayed()]


def _click_filter(browser: Any, name: str) -> list[Any]:
    browser.find_element(By.CSS_SELECTOR, f'#filters button[data-filter="{name}"]').click()
    rows = _visible_rows(browser)
    assert browser.find_element(By.ID, "shown").text == str(len(rows))
    pressed = browser.find_element(By.CSS_SELECTOR, '#filters button[aria-pressed="true"]')
    assert pressed.get_attribute("data-filter") == name
    return rows


def _errors(browser: Any) -> list[dict[str, Any]]:
    return [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"]


def _kind(row: Any) -> str:
    return kind_a(int(str(row.get_attribute("data-sample")).rsplit("/", 1)[1]))


def test_run_page_renders_and_filters(browser: Any, site: dict[str, Path]) -> None:
    _open(browser, site["out"] / page_name(site["a"].name))
    rows = browser.find_elements(By.CSS_SELECTOR, "tr.sample")
    assert len(rows) == N == len(load_run_records(site["a"]))
    assert len(_visible_rows(browser)) == N
    expected = {
        "correct": {"right"},
        "wrong": {"wrong", "noformat", "hostile"},
        "format": {"noformat", "hostile"},
        "error": {"error"},
    }
    for name, kinds in expected.items():
        shown = _click_filter(browser, name)
        assert sorted(_kind(r) for r in shown) == sorted(
            kind_a(i) for i in range(N) if kind_a(i) in kinds
        ), name
        assert shown, name
    assert len(_click_filter(browser, "all")) == N
    assert _errors(browser) == []


def test_images_load(browser: Any, site: dict[str, Path]) -> None:
    for run in ("a", "local"):
        _open(browser, site["out"] / page_name(site[run].name))
        sizes = browser.execute_script(
            "return Array.from(document.images).map(function(i){"
            "return [i.complete, i.naturalWidth, i.naturalHeight];});"
        )
        assert len(sizes) == (N if run == "a" else 3)
        assert all(done and w > 0 and h > 0 for done, w, h in sizes), sizes
    assert _errors(browser) == []


def test_think_is_folded_until_clicked(browser: Any, site: dict[str, Path]) -> None:
    _open(browser, site["out"] / page_name(site["a"].name))
    details = browser.find_elements(By.CSS_SELECTOR, "details.think")
    assert len(details) == sum(kind_a(i) not in ("noformat", "error") for i in range(N))
    assert not any(browser.execute_script("return arguments[0].open", d) for d in details)
    first = details[0]
    body = first.find_element(By.TAG_NAME, "pre")
    assert not body.is_displayed()
    first.find_element(By.TAG_NAME, "summary").click()
    assert browser.execute_script("return arguments[0].open", first)
    assert body.is_displayed() and "I count" in body.text


def test_model_text_never_runs(browser: Any, site: dict[str, Path]) -> None:
    _open(browser, site["out"] / page_name(site["a"].name))
    assert browser.execute_script("return typeof window.__pwned") == "undefined"
    hostile = [r for r in browser.find_elements(By.CSS_SELECTOR, "tr.sample") if _kind(r) == "hostile"]
    assert hostile
    assert "<script>window.__pwned = 1</script>" in hostile[0].text
    # the only <img> in the row is the sample's own image, not the one in the model's text
    imgs = hostile[0].find_elements(By.TAG_NAME, "img")
    assert len(imgs) == 1 and "/images/" in str(imgs[0].get_attribute("src"))


def test_compare_page(browser: Any, site: dict[str, Path]) -> None:
    _open(browser, site["out"] / compare_name(site["a"].name, site["b"].name))
    rows = browser.find_elements(By.CSS_SELECTOR, "tr.sample")
    assert len(rows) == N
    right_a = sum(kind_a(i) == "right" for i in range(N))
    assert len(_click_filter(browser, "a-only")) == right_a
    assert len(_click_filter(browser, "b-only")) == N - right_a
    assert _click_filter(browser, "both-right") == []
    assert len(_click_filter(browser, "disagree")) == N
    assert _errors(browser) == []


def test_index_links_every_page(browser: Any, site: dict[str, Path]) -> None:
    _open(browser, site["out"] / INDEX_FILE)
    hrefs = {
        Path(str(a.get_attribute("href"))).name for a in browser.find_elements(By.TAG_NAME, "a")
    }
    assert {page_name(site[k].name) for k in ("a", "b", "local")} <= hrefs
    assert compare_name(site["a"].name, site["b"].name) in hrefs
    browser.find_element(By.LINK_TEXT, "model-local").click()
    assert len(browser.find_elements(By.CSS_SELECTOR, "tr.sample")) == 3


def test_cut_text_links_a_side_file_that_never_runs(browser: Any, site: dict[str, Path]) -> None:
    # cut at 100 characters, the hostile output (about 170) goes to a texts/ side file
    out = site["out"].parent / "view-cut"
    build_viewer([site["a"]], out, max_output_chars=100)
    _open(browser, out / page_name(site["a"].name))
    (row,) = [r for r in browser.find_elements(By.CSS_SELECTOR, "tr.sample")
              if str(r.get_attribute("data-sample")).endswith("/5")]
    assert _kind(row) == "hostile"
    assert f"cut: 100 of {len(HOSTILE)} characters; full text: texts/" in row.text
    assert _errors(browser) == []
    row.find_element(By.PARTIAL_LINK_TEXT, "texts/").click()
    assert browser.current_url.endswith(".txt")
    assert browser.execute_script("return document.contentType") == "text/plain"
    assert browser.execute_script("return document.body.innerText") == HOSTILE
    assert browser.execute_script("return typeof window.__pwned") == "undefined"
    assert browser.execute_script("return document.images.length") == 0
