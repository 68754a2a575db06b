"""End to end in a real browser: Debian's Chromium, driven by Playwright, against a real server
(uvicorn on a free local port, SQLite in a temporary data directory). Upload a corpus
questionnaire, wait for the answers, correct and approve one, download the filled file and
check it re-ingests with that answer, then open the roadmap."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlmodel import Session

from service.ingest import Question, parse
from service.settings import Settings
from service.web.app import create_app
from service.web.auth import create_user
from tests.conftest import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]
EMAIL, PASSWORD = "cto@example.com", "correct horse battery"
QUESTIONNAIRE = Path("xlsx") / "HECVAT_Lite_v3.04_CanvasStudio_filled.xlsx"
ANSWERING_TIMEOUT_MS = 90_000  # first run loads the embedding model
STEP_TIMEOUT_MS = 15_000


@pytest.fixture()
def server(tmp_path: Path, database_url: str) -> Iterator[str]:
    """A running Candor on 127.0.0.1 with one editor; yields its base URL."""
    settings = Settings(data_dir=tmp_path, database_url=database_url)
    app = create_app(settings)
    with Session(app.state.engine) as session:
        create_user(session, EMAIL, "Casey CTO", "editor", PASSWORD)
    port = free_port()
    running = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not running.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=15)
    app.state.engine.dispose()


@pytest.fixture()
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def test_upload_review_export_and_roadmap_in_a_browser(
    server: str, browser: Browser, corpus: Path, tmp_path: Path
) -> None:
    source = corpus / QUESTIONNAIRE
    original = {q.ref: q for q in parse(source).questions}
    page = browser.new_context(base_url=server, accept_downloads=True).new_page()
    page.set_default_timeout(STEP_TIMEOUT_MS)

    page.goto("/login")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    expect(page.locator(".topbar .who")).to_contain_text("Casey CTO")

    page.goto("/upload")
    page.set_input_files("form[action='/upload'] input[type=file]", source)
    page.fill("input[name=prospect]", "State University")
    page.fill("input[name=deal_value]", "80000")
    page.check("input[name=frameworks][value=soc2]")
    page.click("form[action='/upload'] button[type=submit]")
    # the page follows the job and reloads itself when answering has finished
    expect(page.locator("[data-job-status=done]")).to_be_visible(timeout=ANSWERING_TIMEOUT_MS)
    expect(page.locator(".job-text")).to_contain_text(f"Answered {len(original)} questions")

    ref, value = _correct_and_approve_one_answer(page, original)

    with page.expect_download() as download:
        page.click("a[data-export=filled]")
    assert download.value.suggested_filename == f"{source.stem}_filled.xlsx"
    filled = tmp_path / download.value.suggested_filename
    download.value.save_as(filled)
    reread = {q.ref: q for q in parse(filled).questions}
    assert reread.keys() == original.keys()
    assert reread[ref].existing_answer == value
    assert reread[ref].existing_comment == "Checked with the CTO."

    page.click(".topbar a[href='/roadmap']")
    expect(page.locator("h1")).to_have_text("90-day remediation roadmap")
    expect(page.locator(".page-head")).to_contain_text("1 answered questionnaire")
    expect(page.locator("table.posture")).to_contain_text("State University")
    assert page.locator("table.gantt td.bar").count() > 0
    expect(page.locator("a[href='/roadmap/memo.docx']")).to_be_visible()


def _correct_and_approve_one_answer(page: Page, original: dict[str, Question]) -> tuple[str, str]:
    """On the review page, answer a yes/no question that needs review with the opposite of what
    the uploaded file said, save, approve; returns (ref, value)."""
    page.click("a:has-text('Review answers')")
    card = (page.locator("article.question").filter(has_text="Options: Yes / No")
            .filter(has=page.locator(".chip.status-needs_review")).first)
    ref = card.locator("header .ref").inner_text()
    card_id = card.get_attribute("id")
    value = "Yes" if original[ref].existing_answer == "No" else "No"
    card.locator("textarea[name=value]").fill(value)
    card.locator("textarea[name=comment]").fill("Checked with the CTO.")
    card.locator("form[action$='/edit'] button[type=submit]").click()
    saved = page.locator(f"#{card_id}")
    expect(saved.locator(".chip.status-edited")).to_be_visible()
    saved.locator("form[action$='/approve'] button[type=submit]").click()
    expect(page.locator(f"#{card_id} .chip.status-approved")).to_be_visible()
    expect(page.locator(f"#{card_id} textarea[name=value]")).to_have_value(value)
    return ref, value
