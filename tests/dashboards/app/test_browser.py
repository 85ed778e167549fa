"""The dashboard in a real browser: `plait serve` started as a user starts it, Debian's
Chromium driven by Playwright (no browser download), every role signing in and opening every
page it is offered. Screenshots go to build/e2e-screenshots/ for a person to look at.

Started as Streamlit's own end-to-end tests start the app: the server's health endpoint is
polled, then each page is awaited until the script has finished running
(`data-test-script-state="notRunning"`)."""

from __future__ import annotations

import csv
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.request import urlopen

import pytest

from dashboards.access import add_user
from tests.conftest import TEST_KEY
from tests.dashboards.test_data_returns import BAD_DATE_ROW, BAD_OFFENCE_ROW, spoiled_return

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).parents[3] / "build" / "e2e-screenshots"
PASSWORD = "e2e-password-not-secret"
USERS = {"analyst": "national", "kent-lead": "force:kent", "npcc-lead": "npcc"}
UPLOADER = "wy-lead"  # West Yorkshire's lead, who sends a return with bad rows
EXPECTED_PAGES = {
    "national": ["Overview", "Trends", "Map", "Series", "Intelligence", "Investigation",
                 "Data quality", "Returns", "Reports", "Admin"],
    "force:kent": ["Overview", "Trends", "Map", "Series", "Intelligence", "Investigation",
                   "Data quality", "Returns", "Reports"],
    "npcc": ["Overview", "Trends", "Map", "Series", "Intelligence", "Investigation",
             "Data quality", "Reports"],
}

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(app_db: str, app_sample: Path, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[str]:
    """`plait serve` on a copy of the analysed warehouse (uploads change it)."""
    folder = tmp_path_factory.mktemp("e2e")
    source = Path(app_db.removeprefix("sqlite:///"))
    copy = folder / "plait.db"
    shutil.copy(source, copy)
    users = folder / "users.toml"
    for name, role in {**USERS, UPLOADER: "force:west-yorkshire"}.items():
        add_user(users, name, role, PASSWORD)
    port = _free_port()
    # the pseudonymisation key of the test warehouse, which the uploaded return is hashed with
    env = {**os.environ, "PLAIT_USERS_FILE": str(users),
           "PLAIT_PSEUDONYM_KEY": TEST_KEY.decode()}
    plait = Path(sys.executable).parent / "plait"
    log = (folder / "server.log").open("w")
    process = subprocess.Popen([str(plait), "serve", "--db", f"sqlite:///{copy}",
                                "--port", str(port)], env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.5)
        else:
            raise RuntimeError(f"plait serve did not answer: {(folder / 'server.log').read_text()}")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield launched
        launched.close()


def _settle(page: object) -> None:
    """Wait until the app's script has run to the end."""
    page.wait_for_timeout(300)  # type: ignore[attr-defined]
    page.wait_for_selector("[data-test-script-state='notRunning']",  # type: ignore[attr-defined]
                           timeout=120_000)


def sign_in(browser: object, url: str, name: str) -> object:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    page.goto(url)
    _settle(page)
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text(f"Signed in as {name}").wait_for(timeout=60_000)
    _settle(page)
    return page


@pytest.mark.parametrize("name", list(USERS))
def test_each_role_signs_in_and_opens_every_page_it_is_offered(
        server: str, browser: object, name: str) -> None:
    role = USERS[name]
    page = sign_in(browser, server, name)
    links = page.get_by_test_id("stSidebarNav").get_by_role("link")  # type: ignore[attr-defined]
    # a link's text is its icon's ligature name, then its title
    offered = [links.nth(i).inner_text().strip().split("\n")[-1] for i in range(links.count())]
    assert offered == EXPECTED_PAGES[role]
    SHOTS.mkdir(parents=True, exist_ok=True)
    for title in offered:
        links.nth(offered.index(title)).click()
        _settle(page)
        assert page.get_by_test_id("stException").count() == 0, title  # type: ignore[attr-defined]
        assert page.get_by_role("heading", level=1).count() >= 1, title  # type: ignore[attr-defined]
        page.screenshot(path=str(SHOTS / f"{name}-{title.lower().replace(' ', '-')}.png"),  # type: ignore[attr-defined]
                        full_page=True)
    page.close()  # type: ignore[attr-defined]


def test_a_wrong_password_is_refused(server: str, browser: object) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(server)
    _settle(page)
    page.get_by_label("User name").fill("analyst")
    page.get_by_label("Password", exact=True).fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    _settle(page)
    assert page.get_by_text("The user name or password is not right.").count() == 1
    assert page.get_by_test_id("stSidebarNav").count() == 0
    page.close()



def _open(page: object, title: str) -> None:
    nav = page.get_by_test_id("stSidebarNav")  # type: ignore[attr-defined]
    nav.get_by_role("link").filter(has_text=title).first.click()
    _settle(page)


def test_a_force_lead_uploads_a_return_with_bad_rows_and_reads_the_receipt(
        server: str, browser: object, app_sample: Path, tmp_path: Path) -> None:
    upload = spoiled_return(app_sample, tmp_path)
    page = sign_in(browser, server, UPLOADER)
    _open(page, "Returns")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(  # type: ignore[attr-defined]
        str(upload))
    page.get_by_role("button", name="Check and load").click()  # type: ignore[attr-defined]
    page.get_by_text(f"Receipt: {upload.name}").wait_for(timeout=120_000)  # type: ignore[attr-defined]
    _settle(page)
    metrics = page.get_by_test_id("stMetric")  # type: ignore[attr-defined]
    lines = [[x.strip() for x in m.inner_text().split("\n") if x.strip()] for m in metrics.all()]
    shown = {line[0]: line[1] for line in lines}
    assert shown["Rejected"] == "2" and shown["Loaded"] == "10", shown
    assert page.get_by_test_id("stDataFrame").count() >= 1  # type: ignore[attr-defined]
    with page.expect_download() as download:  # type: ignore[attr-defined]
        page.get_by_role("button", name="Download the receipt (CSV)").click()  # type: ignore[attr-defined]
    receipt = tmp_path / "receipt.csv"
    download.value.save_as(receipt)
    rows = list(csv.DictReader(receipt.read_text(encoding="utf-8").splitlines()))
    rejected = {(r.get("source_row") or r.get("row"), r.get("field")) for r in rows}
    assert (str(BAD_DATE_ROW), "reported_date") in rejected, rows
    assert any(row == str(BAD_OFFENCE_ROW) for row, _ in rejected), rows
    page.screenshot(path=str(SHOTS / "wy-lead-returns-receipt.png"), full_page=True)  # type: ignore[attr-defined]
    page.close()  # type: ignore[attr-defined]


def test_a_force_lead_downloads_their_quarterly_pdf(server: str, browser: object,
                                                     tmp_path: Path) -> None:
    page = sign_in(browser, server, "kent-lead")
    _open(page, "Reports")
    with page.expect_download(timeout=120_000) as download:  # type: ignore[attr-defined]
        page.get_by_role("button", name="Download the report (PDF)").click()  # type: ignore[attr-defined]
    pdf = tmp_path / "kent.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes()[:5] == b"%PDF-"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout if shutil.which("pdftotext") else ""
    if text:
        assert "Kent Police against its region and the nation" in text
        assert "OFFICIAL-SENSITIVE" in text
    page.close()  # type: ignore[attr-defined]
