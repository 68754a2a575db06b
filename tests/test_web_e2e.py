"""End to end in a real browser: Debian's Chromium, driven by Playwright, against a real server
(uvicorn on a free local port, SQLite in a temporary data directory). Upload a corpus
questionnaire, wait for the answers, correct and approve one, download the filled file and
check it re-ingests with that answer, then open the roadmap. Review safety: a bulk approval
lists what it will approve and waits for a confirmation; a value outside the cell's dropdown
is refused with the options, what was typed kept."""

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
from service.settings import REPO_ROOT, Settings
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
    card.locator("select[name=value]").select_option(value)  # the cell's own dropdown
    card.locator("textarea[name=comment]").fill("Checked with the CTO.")
    card.locator("form[action$='/edit'] button[type=submit]").click()
    saved = page.locator(f"#{card_id}")
    expect(saved.locator(".chip.status-edited")).to_be_visible()
    saved.locator("form[action$='/approve'] button[type=submit]").click()
    expect(page.locator(f"#{card_id} .chip.status-approved")).to_be_visible()
    expect(page.locator(f"#{card_id} select[name=value]")).to_have_value(value)
    return ref, value


SAMPLE = REPO_ROOT / "samples" / "northwind_vendor_security_assessment.xlsx"


def _sign_in_and_upload(page: Page, source: Path, prospect: str) -> int:
    """Sign in, upload `source` and wait for its answers; returns the questionnaire id."""
    page.goto("/login")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    expect(page.locator(".topbar .who")).to_contain_text("Casey CTO")
    page.goto("/upload")
    page.set_input_files("form[action='/upload'] input[type=file]", source)
    page.fill("input[name=prospect]", prospect)
    page.click("form[action='/upload'] button[type=submit]")
    expect(page.locator("[data-job-status=done]")).to_be_visible(timeout=ANSWERING_TIMEOUT_MS)
    return int(page.url.rstrip("/").split("/")[-1])


def _answers(page: Page, questionnaire_id: int) -> dict[int, dict[str, object]]:
    response = page.request.get(f"/api/v1/questionnaires/{questionnaire_id}/answers")
    assert response.ok
    return {row["answer"]["id"]: row["answer"] for row in response.json()}


def test_bulk_approval_asks_first_and_an_out_of_list_value_is_refused_in_a_browser(
    server: str, browser: Browser
) -> None:
    page = browser.new_context(base_url=server).new_page()
    page.set_default_timeout(STEP_TIMEOUT_MS)
    questionnaire_id = _sign_in_and_upload(page, SAMPLE, "Northwind Health")

    # a value the cell's dropdown does not offer (as a stale or hand-made form would send it)
    page.click("a:has-text('Review answers')")
    card = (page.locator("article.question").filter(has_text="Options: Yes / No / N/A")
            .filter(has=page.locator("select[name=value]")).first)
    card_id = card.get_attribute("id")
    assert card_id is not None
    answer_id = int(card_id.removeprefix("answer-"))
    before = _answers(page, questionnaire_id)[answer_id]
    offered = card.locator("select[name=value] option").evaluate_all(
        "options => options.map(o => o.value)")
    assert offered == ["", "Yes", "No", "N/A"]
    card.locator("select[name=value]").evaluate(
        "select => { select.add(new Option('Maybe', 'Maybe')); select.value = 'Maybe'; }")
    card.locator("textarea[name=comment]").fill("Typed before the refusal.")
    card.locator("form[action$='/edit'] button[type=submit]").click()
    refused = page.locator(f"#{card_id}")
    expect(refused.locator("[data-refused]")).to_contain_text(
        "'Maybe' is not one of the options")
    expect(refused.locator("[data-refused]")).to_contain_text("Yes / No / N/A")
    expect(refused.locator("textarea[name=comment]")).to_have_value("Typed before the refusal.")
    assert refused.locator("select[name=value] option").evaluate_all(
        "options => options.map(o => o.value)") == ["", "Yes", "No", "N/A"]
    assert _answers(page, questionnaire_id)[answer_id] == before  # nothing saved

    # approve all high-confidence answers: the list first, approved only once confirmed
    page.goto(f"/questionnaires/{questionnaire_id}/review")
    page.click("a[data-bulk-approve]")
    expect(page.locator("[data-bulk-count]")).to_contain_text("will be approved")
    listed = page.locator("table.bulk-list tbody tr")
    count = listed.count()
    assert count > 0
    ids = {int(listed.nth(i).get_attribute("data-answer") or 0) for i in range(count)}
    expect(page.locator("[data-bulk-count]")).to_contain_text(f"{count} answers")
    for i in range(count):
        expect(listed.nth(i).locator("td").nth(2)).not_to_be_empty()  # the value shown
    assert not [a for a in _answers(page, questionnaire_id).values()
                if a["status"] == "approved"]  # nothing approved by looking
    page.click("form.confirm button[type=submit]")
    expect(page.locator("[data-bulk-result]")).to_contain_text(f"Approved {count} answers.")
    approved = {i for i, a in _answers(page, questionnaire_id).items()
                if a["status"] == "approved"}
    assert approved == ids
    expect(page.locator(".empty")).to_contain_text("Nothing to approve")
