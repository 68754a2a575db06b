"""HTTP tests of the web application: every route for no session, viewer, editor and admin,
and the upload → background answering → review flow on the Northwind sample (real model,
answered once per test session)."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import msoffcrypto
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlmodel import Session, select
from starlette.testclient import TestClient

from service.settings import REPO_ROOT, Settings
from service.web.app import create_app
from service.web.auth import (
    LOGIN_WINDOW,
    MAX_FAILURES_PER_ACCOUNT,
    MAX_FAILURES_PER_ADDRESS,
    create_user,
)
from service.web.models import AnswerRecord, LoginFailure, User
from service.web.questionnaires import REQUEST_BODY_LIMIT, UPLOAD_BODY_LIMIT
from service.web.routes import ROUTERS
from tests.conftest import DATABASES, FreshDatabase
from tests.test_ingest_hostile import question_pdf, write_xlsx

SAMPLE = REPO_ROOT / "samples" / "northwind_vendor_security_assessment.xlsx"
PASSWORD = "correct horse battery"
ROLES = ("viewer", "editor", "admin")
ANSWER_TIMEOUT = 120


@dataclass
class Site:
    app: FastAPI
    clients: dict[str, TestClient]  # by role, each signed in
    csrf: dict[str, str]
    questionnaire_id: int
    job_id: int

    def anonymous(self) -> TestClient:
        return TestClient(self.app)

    def answers(self, **filters: str) -> list[dict[str, Any]]:
        response = self.clients["viewer"].get(
            f"/api/v1/questionnaires/{self.questionnaire_id}/answers", params=filters)
        assert response.status_code == 200, response.text
        return response.json()


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Sign in through the login form; returns the session's CSRF token."""
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    response = client.post("/login", data={"email": email, "password": password,
                                           "csrf_token": token.group(1)},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    return client.get("/api/v1/me").json()["csrf_token"]


@pytest.fixture(scope="session", params=DATABASES)
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("candor-web")
    database = FreshDatabase(request.param, root)
    settings = Settings(data_dir=root, database_url=database.url)
    app = create_app(settings)
    with Session(app.state.engine) as session:
        for role in ROLES:
            create_user(session, f"{role}@example.com", role.title(), role, PASSWORD)
    with TestClient(app) as running:  # runs the lifespan: the background job worker
        clients = {role: TestClient(app) for role in ROLES}
        csrf = {role: sign_in(client, f"{role}@example.com") for role, client in clients.items()}
        response = clients["editor"].post(
            "/api/v1/questionnaires", headers={"X-CSRF-Token": csrf["editor"]},
            files={"file": (SAMPLE.name, SAMPLE.read_bytes())},
            data={"prospect": "Northwind Health", "deal_value": "120000",
                  "due_date": "2026-12-15", "frameworks": ["soc2", "hipaa"]})
        assert response.status_code == 201, response.text
        created = response.json()
        job = created["progress"]["job"]
        deadline = time.monotonic() + ANSWER_TIMEOUT
        while job["status"] in ("pending", "running"):
            assert time.monotonic() < deadline, f"answering did not finish: {job}"
            time.sleep(0.3)
            job = clients["viewer"].get(f"/api/v1/jobs/{job['id']}").json()
        assert job["status"] == "done", job
        yield Site(app, clients, csrf, created["id"], job["id"])
        assert running  # the worker stops when the context closes
    app.state.engine.dispose()
    database.drop()


# -- every route, every role ------------------------------------------------------------------

# (method, path, the least role allowed); {q}, {j}, {a} are filled in from the sample, {k}
# is an export kind, {c} and {e} a control and an evidence item of the sample company.
READS = [
    ("GET", "/", "viewer"),
    ("GET", "/upload", "editor"),
    ("GET", "/questionnaires/{q}", "viewer"),
    ("GET", "/questionnaires/{q}/review", "viewer"),
    ("GET", "/questionnaires/{q}/approve-high-confidence", "editor"),
    ("GET", "/knowledge", "viewer"),
    ("GET", "/audit", "admin"),
    ("GET", "/docs", "viewer"),
    ("GET", "/api/v1/me", "viewer"),
    ("GET", "/api/v1/questionnaires", "viewer"),
    ("GET", "/api/v1/questionnaires/{q}", "viewer"),
    ("GET", "/api/v1/questionnaires/{q}/answers", "viewer"),
    ("GET", "/api/v1/questionnaires/{q}/approve-high-confidence", "editor"),
    ("GET", "/api/v1/questionnaires/{q}/export-check", "viewer"),
    ("GET", "/api/v1/jobs/{j}", "viewer"),
    ("GET", "/api/v1/knowledge", "viewer"),
    ("GET", "/api/v1/audit", "admin"),
    ("GET", "/questionnaires/{q}/export/{k}", "viewer"),
    ("GET", "/api/v1/questionnaires/{q}/export/{k}", "viewer"),
    ("GET", "/roadmap", "editor"),
    ("GET", "/roadmap/plan.xlsx", "editor"),
    ("GET", "/roadmap/memo.docx", "editor"),
    ("GET", "/api/v1/roadmap", "editor"),
]
# Writes: allowed roles are exercised by the flow tests below; here only the denials.
WRITES = [
    ("POST", "/upload", "editor"),
    ("POST", "/questionnaires/{q}/approve-high-confidence", "editor"),
    ("POST", "/answers/{a}/edit", "editor"),
    ("POST", "/answers/{a}/approve", "editor"),
    ("POST", "/answers/{a}/comments", "editor"),
    ("POST", "/questionnaires/{q}/mapping", "editor"),
    ("POST", "/answers/{a}/assign", "editor"),
    ("POST", "/answers/{a}/library", "editor"),
    ("POST", "/api/v1/answers/{a}/library", "editor"),
    ("PUT", "/api/v1/answers/{a}/assignee", "editor"),
    ("PUT", "/api/v1/questionnaires/{q}/mapping", "editor"),
    ("POST", "/api/v1/questionnaires", "editor"),
    ("POST", "/api/v1/questionnaires/{q}/approve-high-confidence", "editor"),
    ("PATCH", "/api/v1/answers/{a}", "editor"),
    ("POST", "/api/v1/answers/{a}/approve", "editor"),
    ("POST", "/api/v1/answers/{a}/comments", "editor"),
    ("POST", "/knowledge/controls/{c}", "admin"),
    ("POST", "/knowledge/evidence/{e}", "admin"),
    ("PUT", "/api/v1/knowledge/controls/{c}", "admin"),
    ("PUT", "/api/v1/knowledge/evidence/{e}", "admin"),
    ("POST", "/logout", "viewer"),
    ("DELETE", "/api/v1/session", "viewer"),
]
PUBLIC = [("GET", "/login"), ("POST", "/login"), ("POST", "/api/v1/session"),
          ("GET", "/api/v1/openapi.json")]


def _path(site: Site, template: str) -> str:
    answer_id = site.answers()[0]["answer"]["id"]
    company = site.app.state.knowledge.company
    return template.format(q=site.questionnaire_id, j=site.job_id, a=answer_id, k="filled",
                           c=next(iter(company.control_states)), e=next(iter(company.evidence)))


def _route_key(method: str, path: str) -> tuple[str, str]:
    return method, re.sub(r"\{[^}]+\}", "{}", path)


def test_every_route_is_covered(site: Site) -> None:
    routes = {
        _route_key(method, route.path)
        for router in ROUTERS for route in router.routes if isinstance(route, APIRoute)
        for method in route.methods
    } | {("GET", "/api/v1/openapi.json")}
    covered = {_route_key(m, p) for m, p, _ in READS + WRITES} | {
        _route_key(m, p) for m, p in PUBLIC}
    assert routes == covered


@pytest.mark.parametrize(("method", "template", "least"), READS + WRITES)
def test_no_session_is_refused(site: Site, method: str, template: str, least: str) -> None:
    response = site.anonymous().request(method, _path(site, template), follow_redirects=False)
    if template.startswith("/api/"):
        assert response.status_code == 401
        assert response.json()["detail"] == "sign in first"
    else:
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")


ALLOWED_READS = [(m, p, role) for m, p, least in READS for role in ROLES
                 if ROLES.index(role) >= ROLES.index(least)]
DENIED = [(m, p, least, role) for m, p, least in READS + WRITES for role in ROLES
          if ROLES.index(role) < ROLES.index(least)]


@pytest.mark.parametrize(("method", "template", "role"), ALLOWED_READS)
def test_allowed_roles_can_read(site: Site, method: str, template: str, role: str) -> None:
    response = site.clients[role].request(method, _path(site, template))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(("method", "template", "least", "role"), DENIED)
def test_lower_roles_are_refused(
    site: Site, method: str, template: str, least: str, role: str
) -> None:
    # with a valid CSRF token, so the refusal is the role's
    response = site.clients[role].request(
        method, _path(site, template), headers={"X-CSRF-Token": site.csrf[role]},
        follow_redirects=False)
    assert response.status_code == 403
    assert f"needs the {least} role" in response.text


def test_api_reference_lists_the_api(site: Site) -> None:
    page = site.clients["viewer"].get("/docs").text
    assert "/api/v1/answers/{answer_id}" in page
    assert "X-CSRF-Token" in page
    schema = site.anonymous().get("/api/v1/openapi.json").json()
    assert "/api/v1/questionnaires/{questionnaire_id}/answers" in schema["paths"]
    assert not any(path.startswith(("/login", "/answers")) for path in schema["paths"])


# -- sign in, sessions, CSRF, headers ---------------------------------------------------------

def test_login_sets_a_locked_down_cookie_and_logout_ends_the_session(site: Site) -> None:
    client = site.anonymous()
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    response = client.post("/login", data={"email": "viewer@example.com", "password": PASSWORD,
                                           "csrf_token": token.group(1), "next": "/knowledge"},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/knowledge"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    csrf = client.get("/api/v1/me").json()["csrf_token"]
    response = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    assert client.get("/api/v1/me").status_code == 401


def test_login_refuses_a_wrong_password_a_missing_form_token_and_foreign_next(site: Site) -> None:
    client = site.anonymous()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token
    wrong = client.post("/login", data={"email": "viewer@example.com", "password": "nope",
                                        "csrf_token": token.group(1)})
    assert wrong.status_code == 401 and "Wrong email or password" in wrong.text
    forged = TestClient(site.app).post(
        "/login", data={"email": "viewer@example.com", "password": PASSWORD,
                        "csrf_token": "made-up"})
    assert forged.status_code == 401
    sign_in(client, "viewer@example.com")
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token
    response = client.post("/login", data={"email": "viewer@example.com", "password": PASSWORD,
                                           "csrf_token": token.group(1),
                                           "next": "//evil.example"}, follow_redirects=False)
    assert response.headers["location"] == "/"


def test_api_session(site: Site) -> None:
    client = site.anonymous()
    assert client.post("/api/v1/session", json={"email": "editor@example.com",
                                                "password": "wrong"}).status_code == 401
    signed = client.post("/api/v1/session", json={"email": "editor@example.com",
                                                  "password": PASSWORD})
    assert signed.status_code == 200 and signed.json()["role"] == "editor"
    csrf = signed.json()["csrf_token"]
    assert client.delete("/api/v1/session").status_code == 403  # no CSRF token
    assert client.delete("/api/v1/session", headers={"X-CSRF-Token": csrf}).status_code == 200
    assert client.get("/api/v1/me").status_code == 401


def _login_form(client: TestClient, email: str, password: str) -> Any:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token
    return client.post("/login", data={"email": email, "password": password,
                                       "csrf_token": token.group(1)}, follow_redirects=False)


def test_sign_in_is_throttled_per_account_and_address_without_locking_the_user_out(
    tmp_path: Path, database_url: str
) -> None:
    app = create_app(Settings(data_dir=tmp_path, database_url=database_url), run_jobs=False)
    with Session(app.state.engine) as session:
        create_user(session, "cto@example.com", "CTO", "admin", PASSWORD)
    attacker = TestClient(app, client=("203.0.113.7", 4000))
    for _ in range(MAX_FAILURES_PER_ACCOUNT):
        assert _login_form(attacker, "cto@example.com", "guess").status_code == 401
    # now even the right password is refused from there, without being checked
    refused = _login_form(attacker, "cto@example.com", PASSWORD)
    assert refused.status_code == 429 and "try again in 15 minutes" in refused.text
    assert 890 <= int(refused.headers["retry-after"]) <= 900
    api = attacker.post("/api/v1/session", json={"email": "cto@example.com",
                                                 "password": PASSWORD})
    assert api.status_code == 429 and "\n" not in api.json()["detail"]
    # the real user, elsewhere, still signs in
    assert _login_form(TestClient(app, client=("198.51.100.2", 4000)), "cto@example.com",
                       PASSWORD).status_code == 303
    with Session(app.state.engine) as session:  # the window passes
        for failure in session.exec(select(LoginFailure)):
            failure.at -= LOGIN_WINDOW
        session.commit()
    assert _login_form(attacker, "cto@example.com", PASSWORD).status_code == 303

    sprayer = TestClient(app, client=("203.0.113.9", 4000))  # one guess at many accounts
    for number in range(MAX_FAILURES_PER_ADDRESS):
        assert _login_form(sprayer, f"user{number}@example.com", "guess").status_code == 401
    assert _login_form(sprayer, "cto@example.com", PASSWORD).status_code == 429
    app.state.engine.dispose()


def test_writes_need_the_csrf_token(site: Site) -> None:
    answer = site.answers()[0]["answer"]
    editor = site.clients["editor"]
    for headers in ({}, {"X-CSRF-Token": "wrong"}):
        response = editor.post(f"/api/v1/answers/{answer['id']}/comments", json={"text": "x"},
                               headers=headers)
        assert response.status_code == 403 and "CSRF" in response.json()["detail"]
    form = editor.post(f"/answers/{answer['id']}/comments", data={"text": "x"})
    assert form.status_code == 403


def test_security_headers_and_no_inline_script(site: Site) -> None:
    for path in ("/", "/knowledge", f"/questionnaires/{site.questionnaire_id}/review", "/roadmap",
                 "/login", f"/questionnaires/{site.questionnaire_id}",
                 f"/questionnaires/{site.questionnaire_id}/approve-high-confidence"):
        response = site.clients["admin"].get(path)
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert response.headers["x-frame-options"] == "DENY"
        assert re.search(r"<script(?![^>]*\bsrc=)", response.text) is None
        assert " style=" not in response.text and "<style" not in response.text
        assert not re.search(r'(src|href)="(https?:)?//', response.text)  # no CDN
    css = site.anonymous().get("/static/candor.css")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]


# -- upload, mapping preview, background answering ---------------------------------------------

def test_upload_stores_the_original_and_shows_the_mapping(site: Site) -> None:
    detail = site.clients["viewer"].get(f"/api/v1/questionnaires/{site.questionnaire_id}").json()
    assert detail["prospect"] == "Northwind Health" and detail["deal_value"] == 120000
    assert detail["due_date"] == "2026-12-15" and detail["frameworks"] == ["soc2", "hipaa"]
    assert detail["mapping"] == [{
        "part": "sheet 'Vendor Response'", "questions": 30, "question_column": "column B",
        "answer_column": "column C", "comment_column": "column D",
        "samples": detail["mapping"][0]["samples"]}]
    stored = Path(site.app.state.settings.data_dir) / "uploads" / f"{detail['sha256']}.xlsx"
    assert stored.read_bytes() == SAMPLE.read_bytes()
    assert detail["progress"]["answered"] == detail["progress"]["questions"] == 30
    page = site.clients["viewer"].get(f"/questionnaires/{site.questionnaire_id}").text
    assert "column C" in page and "Answered 30 questions" in page


def test_upload_page_flow(site: Site) -> None:
    editor = site.clients["editor"]
    page = editor.get("/upload")
    assert "data-dropzone" in page.text
    response = editor.post(
        "/upload", data={"csrf_token": site.csrf["editor"], "prospect": "Contoso",
                         "frameworks": ["gdpr"]},
        files={"file": ("contoso.csv", b"ID,Question,Answer\n1,Do you encrypt data at rest?,\n")},
        follow_redirects=False)
    assert response.status_code == 303
    created = editor.get(response.headers["location"])
    assert "Contoso" in created.text and "data-job" in created.text
    assert "Contoso" in editor.get("/").text


@pytest.mark.parametrize("api", [True, False])
def test_a_bad_upload_gets_the_one_line_ingest_error(site: Site, api: bool) -> None:
    editor = site.clients["editor"]
    files = {"file": ("notes.txt", b"\x00\x01 this is not a questionnaire \xff")}
    data = {"prospect": "Bad Co", "csrf_token": site.csrf["editor"]}
    if api:
        response = editor.post("/api/v1/questionnaires", files=files, data=data,
                               headers={"X-CSRF-Token": site.csrf["editor"]})
        message = response.json()["detail"]
    else:
        response = editor.post("/upload", files=files, data=data)
        found = re.search(r'<p class="alert">([^<]+)</p>', response.text)
        assert found
        message = found.group(1)
    assert response.status_code == 422
    assert message and "\n" not in message
    assert "Bad Co" not in editor.get("/").text


def _questionnaire_count(site: Site) -> int:
    return len(site.clients["viewer"].get("/api/v1/questionnaires").json())


def _stored_uploads(site: Site) -> set[Path]:
    return set((site.app.state.settings.data_dir / "uploads").iterdir())


def test_bodies_over_the_limit_are_refused_before_they_are_read(site: Site) -> None:
    editor, csrf = site.clients["editor"], site.csrf["editor"]
    before = (_questionnaire_count(site), _stored_uploads(site))
    oversize = b"ID,Question,Answer\n" + b"x" * UPLOAD_BODY_LIMIT
    api = editor.post("/api/v1/questionnaires", headers={"X-CSRF-Token": csrf},
                      files={"file": ("big.csv", oversize)}, data={"prospect": "Big Co"})
    assert api.status_code == 413
    assert api.json()["detail"] == "the request is over the 50 MiB limit: nothing was stored"
    page = editor.post("/upload", data={"csrf_token": csrf, "prospect": "Big Co"},
                       files={"file": ("big.csv", oversize)})
    assert page.status_code == 413 and "over the 50 MiB limit" in page.text

    def without_a_length() -> Iterator[bytes]:  # chunked: counted as it arrives
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="x.csv"\r\n\r\n'
        for _ in range(UPLOAD_BODY_LIMIT // 2**20 + 2):
            yield b"y" * 2**20

    chunked = editor.post("/api/v1/questionnaires", content=without_a_length(), headers={
        "X-CSRF-Token": csrf, "Content-Type": "multipart/form-data; boundary=b"})
    assert chunked.status_code == 413 and "nothing was stored" in chunked.json()["detail"]
    # everything else takes small bodies
    answer = site.answers()[0]["answer"]
    edit = editor.patch(f"/api/v1/answers/{answer['id']}", headers={"X-CSRF-Token": csrf},
                        json={"value": "x" * REQUEST_BODY_LIMIT, "version": answer["version"]})
    assert edit.status_code == 413 and "1 MiB" in edit.json()["detail"]
    assert (_questionnaire_count(site), _stored_uploads(site)) == before
    assert "data-max-bytes=" in editor.get("/upload").text  # the browser checks first


@pytest.mark.parametrize("sent, shown", [
    ("../../../../etc/cron.d/candor.csv", "candor.csv"),
    ("..\\..\\Windows\\System32\\evil.csv", "evil.csv"),
    ("/var/lib/candor/abs.csv", "abs.csv"),
    ("..", "upload"),
    ("C:\\Users\\x\\..\\q<|>.csv", "q.csv"),
])
def test_path_traversal_file_names_are_cut_to_a_plain_name(
    site: Site, sent: str, shown: str
) -> None:
    editor = site.clients["editor"]
    body = f"ID,Question,Answer\n1,Is {shown} stored safely ({len(sent)})?,\n".encode()
    response = editor.post("/api/v1/questionnaires", headers={"X-CSRF-Token": site.csrf["editor"]},
                           files={"file": (sent, body)}, data={"prospect": "Traversal Co"})
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["filename"] == shown
    data_dir = site.app.state.settings.data_dir
    digest = hashlib.sha256(body).hexdigest()
    assert (data_dir / "uploads" / f"{digest}{Path(shown).suffix}").read_bytes() == body
    wait_for_answers(editor, created["id"])
    filled = editor.get(f"/api/v1/questionnaires/{created['id']}/export/filled")
    assert filled.status_code == 200
    stem = Path(shown).stem
    assert filled.headers["content-disposition"] == f'attachment; filename="{stem}_filled.csv"'


def _hostile_files(folder: Path, corpus: Path) -> dict[str, tuple[bytes, str]]:
    """Hostile uploads, each with the words its one-line refusal must contain."""
    sheets = write_xlsx(folder / "sheets.xlsx",
                        [(f"S{n}", lambda: iter(())) for n in range(300)])
    rows = write_xlsx(folder / "rows.xlsx", [("Q", lambda: (
        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>Q{r}</t></is></c></row>'
        for r in range(1, 100_003)))])
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (64 * 2**20))
    sample = (corpus / "xlsx/HECVAT_Lite_v3.04_CanvasStudio_filled.xlsx").read_bytes()
    encrypted = io.BytesIO()
    msoffcrypto.OfficeFile(io.BytesIO(sample)).encrypt("s3cret", encrypted)
    laughs = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(sample)) as source, \
            zipfile.ZipFile(laughs, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/workbook.xml":
                content = (b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">'
                           b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><workbook>&b;'
                           b"</workbook>")
            target.writestr(info, content)
    return {
        "thousands of sheets": (sheets.read_bytes(), "sheets"),
        "over the row limit": (rows.read_bytes(), "rows"),
        "zip bomb": (bomb.getvalue(), "zip bomb"),
        "encrypted": (encrypted.getvalue(), "password"),
        "billion laughs": (laughs.getvalue(), "entit"),
        "truncated": (sample[: len(sample) // 2], "corrupt"),
        "malformed pdf": (b"%PDF-1.7\n" + b"\x8f garbage " * 100, ""),
    }


def test_hostile_uploads_get_one_line_4xx_and_store_nothing(
    site: Site, corpus: Path, tmp_path: Path
) -> None:
    editor, csrf = site.clients["editor"], site.csrf["editor"]
    before = (_questionnaire_count(site), _stored_uploads(site))
    for name, (data, words) in _hostile_files(tmp_path, corpus).items():
        began = time.monotonic()
        response = editor.post("/api/v1/questionnaires", headers={"X-CSRF-Token": csrf},
                               files={"file": (f"{name}.xlsx", data)}, data={"prospect": name})
        assert response.status_code == 422, (name, response.text)
        message = response.json()["detail"]
        assert words in message and "\n" not in message and "Traceback" not in message, name
        assert time.monotonic() - began < 20, name
    assert (_questionnaire_count(site), _stored_uploads(site)) == before


def test_a_pdf_carrying_javascript_is_read_never_run_and_flagged(site: Site) -> None:
    script = question_pdf(
        catalog_extra=b"/OpenAction 6 0 R",
        extra_objects=[rb"<< /Type /Action /S /JavaScript /JS (app.alert\(1\);) >>"])
    response = site.clients["editor"].post(
        "/api/v1/questionnaires", headers={"X-CSRF-Token": site.csrf["editor"]},
        files={"file": ("form.pdf", script)}, data={"prospect": "Script Co"})
    assert response.status_code == 201, response.text
    assert any("JavaScript" in notice for notice in response.json()["notices"])


def test_upload_needs_a_prospect(site: Site) -> None:
    response = site.clients["editor"].post(
        "/api/v1/questionnaires", files={"file": (SAMPLE.name, SAMPLE.read_bytes())},
        data={"prospect": " ", "csrf_token": site.csrf["editor"]},
        headers={"X-CSRF-Token": site.csrf["editor"]})
    assert response.status_code == 422 and "prospect" in response.json()["detail"]


def wait_for_answers(client: TestClient, questionnaire_id: int) -> dict[str, Any]:
    """The questionnaire once its latest answering job has finished."""
    deadline = time.monotonic() + ANSWER_TIMEOUT
    while True:
        detail = client.get(f"/api/v1/questionnaires/{questionnaire_id}").json()
        job = detail["progress"]["job"]
        if job["status"] not in ("pending", "running"):
            assert job["status"] == "done", job
            return detail
        assert time.monotonic() < deadline, f"answering did not finish: {job}"
        time.sleep(0.3)


TEMPLATE_HEADER = "ID,Topic,Question,Answer,Notes\n"


def _template_file(topics_and_questions: list[tuple[str, str]]) -> bytes:
    rows = "".join(f"{n},{topic},{question},,\n"
                   for n, (topic, question) in enumerate(topics_and_questions, start=1))
    return (TEMPLATE_HEADER + rows).encode()


def test_a_column_correction_is_answered_exported_and_remembered_for_the_template(
    site: Site,
) -> None:
    editor, csrf = site.clients["editor"], site.csrf["editor"]
    headers = {"X-CSRF-Token": csrf}
    topics = [("Encryption at rest", "Do you encrypt customer data at rest?"),
              ("Multi-factor authentication", "Do you enforce MFA for every employee?")]
    created = editor.post("/api/v1/questionnaires", headers=headers,
                          files={"file": ("first.csv", _template_file(topics))},
                          data={"prospect": "Template Co"}).json()
    assert created["mapping"][0]["question_column"] == "column 3"
    wait_for_answers(editor, created["id"])
    page = editor.get(f"/questionnaires/{created['id']}").text
    assert "Save columns" in page
    assert "Save columns" not in site.clients["viewer"].get(
        f"/questionnaires/{created['id']}").text
    corrected = editor.post(f"/questionnaires/{created['id']}/mapping", data={
        "csrf_token": csrf, "part": "rows", "question_column": "2",
        "answer_column": "column 5", "comment_column": ""}, follow_redirects=False)
    assert corrected.status_code == 303
    detail = wait_for_answers(editor, created["id"])
    assert detail["column_overrides"] == {"rows": {"question": "2", "answer": "5",
                                                   "comment": None}}
    part = detail["mapping"][0]
    assert (part["question_column"], part["answer_column"], part["comment_column"]) == (
        "column 2", "column 5", None)
    rows = editor.get(f"/api/v1/questionnaires/{created['id']}/answers").json()
    assert [r["question"]["text"] for r in rows] == [topic for topic, _ in topics]
    assert len(rows) == 2 and all(r["answer"] for r in rows)  # answered again, once each
    answer = rows[0]["answer"]
    assert editor.patch(f"/api/v1/answers/{answer['id']}", headers=headers, json={
        "value": "Yes", "comment": "", "version": answer["version"]}).status_code == 200
    filled = editor.get(f"/api/v1/questionnaires/{created['id']}/export/filled")
    assert filled.status_code == 200, filled.text
    first_row = filled.text.splitlines()[1].split(",")
    assert first_row[4] == "Yes" and first_row[3] == ""  # the corrected answer column
    reviewed = editor.put(f"/api/v1/questionnaires/{created['id']}/mapping", headers=headers,
                          json={"part": "rows", "question_column": "3", "answer_column": "4"})
    assert reviewed.status_code == 422 and "reviewed" in reviewed.json()["detail"]
    again = editor.post("/api/v1/questionnaires", headers=headers,
                        files={"file": ("second.csv", _template_file(topics[::-1]))},
                        data={"prospect": "Template Co, again"}).json()
    assert again["column_overrides"] == detail["column_overrides"]
    assert again["mapping"][0]["answer_column"] == "column 5"
    assert any("template" in notice for notice in again["notices"])
    audit = site.clients["admin"].get("/api/v1/audit").json()
    event = next(e for e in audit if e["action"] == "questionnaire.mapping")
    assert event["before"]["question"] == "column 3" and event["after"]["question"] == "2"


@pytest.mark.parametrize(("columns", "message"), [
    ({"question_column": "3", "answer_column": "3"}, "must differ"),
    ({"question_column": "C", "answer_column": "4"}, "not a question column"),
    ({"part": "sheet 'Nope'", "question_column": "A", "answer_column": "B"}, "no part"),
])
def test_a_bad_column_correction_is_refused(
    site: Site, columns: dict[str, str], message: str
) -> None:
    editor, headers = site.clients["editor"], {"X-CSRF-Token": site.csrf["editor"]}
    created = editor.post("/api/v1/questionnaires", headers=headers,
                          files={"file": (f"{message}.csv", _template_file([("Logging",
                                                                       "Do you log access?")]))},
                          data={"prospect": "Columns Co"}).json()
    response = editor.put(f"/api/v1/questionnaires/{created['id']}/mapping", headers=headers,
                          json={"part": "rows", **columns})
    assert response.status_code == 422 and message in response.json()["detail"]


# -- review ------------------------------------------------------------------------------------

def test_answers_carry_controls_frameworks_and_evidence(site: Site) -> None:
    rows = site.answers()
    assert len(rows) == 30
    backed = [r for r in rows if r["answer"]["value"] == "Yes"]
    assert backed, "the sample company backs some answers with evidence"
    first = backed[0]["answer"]
    assert first["matches"][0]["frameworks"]["soc2"]
    assert any(c["kind"] == "evidence" for c in first["citations"])
    assert first["band"] in ("high", "medium", "low") and first["version"] >= 1


@pytest.mark.parametrize(("name", "value"), [("status", "needs_review"), ("band", "high"),
                                             ("gap", "yes"), ("section", "Company")])
def test_review_filters(site: Site, name: str, value: str) -> None:
    everything = site.answers()
    chosen = site.answers(**{name: value})
    assert 0 < len(chosen) < len(everything)
    for row in chosen:
        answer = row["answer"]
        actual = {"status": answer["status"], "band": answer["band"],
                  "gap": "yes" if answer["gap_control"] else "no",
                  "section": row["question"]["section"]}[name]
        assert actual == value
    page = site.clients["viewer"].get(
        f"/questionnaires/{site.questionnaire_id}/review", params={name: value})
    assert page.text.count('class="question card"') == len(chosen)


def test_unknown_filter_values_are_refused(site: Site) -> None:
    response = site.clients["viewer"].get(
        f"/api/v1/questionnaires/{site.questionnaire_id}/answers", params={"band": "huge"})
    assert response.status_code == 422 and "band" in response.json()["detail"]


def test_viewer_sees_no_edit_forms(site: Site) -> None:
    page = site.clients["viewer"].get(f"/questionnaires/{site.questionnaire_id}/review").text
    assert "/edit" not in page and "Approve" not in page
    editor_page = site.clients["editor"].get(
        f"/questionnaires/{site.questionnaire_id}/review").text
    assert "/edit" in editor_page


def test_edit_then_a_stale_edit_gets_409_with_the_current_value(site: Site) -> None:
    row = site.answers(status="needs_review")[0]
    answer, options = row["answer"], row["question"]["options"]
    value = next(o for o in options if o != answer["value"]) if options else "Partial"
    editor, headers = site.clients["editor"], {"X-CSRF-Token": site.csrf["editor"]}
    url = f"/api/v1/answers/{answer['id']}"
    saved = editor.patch(url, json={"value": value, "comment": "Rolling out in Q1.",
                                    "version": answer["version"]}, headers=headers)
    assert saved.status_code == 200
    assert saved.json()["version"] == answer["version"] + 1
    assert saved.json()["status"] == "edited"
    stale = editor.patch(url, json={"value": "Yes", "comment": "", "version": answer["version"]},
                         headers=headers)
    assert stale.status_code == 409
    assert stale.json()["current"]["value"] == value
    assert stale.json()["current"]["version"] == answer["version"] + 1
    audit = site.clients["admin"].get("/api/v1/audit").json()
    edit = next(e for e in audit if e["action"] == "answer.edit"
                and e["target"] == f"answer:{answer['id']}")
    assert edit["actor"] == "editor@example.com"
    assert edit["before"]["value"] == answer["value"] and edit["after"]["value"] == value


def test_review_page_forms_edit_approve_comment_and_conflict(site: Site) -> None:
    answer = site.answers(status="needs_review")[-1]["answer"]
    editor, csrf = site.clients["editor"], site.csrf["editor"]
    back = f"/questionnaires/{site.questionnaire_id}/review"
    edited = editor.post(f"/answers/{answer['id']}/edit",
                         data={"csrf_token": csrf, "version": answer["version"], "value": "No",
                               "comment": "Not yet.", "next": back}, follow_redirects=False)
    assert edited.status_code == 303
    assert edited.headers["location"] == f"{back}#answer-{answer['id']}"
    stale = editor.post(f"/answers/{answer['id']}/edit",
                        data={"csrf_token": csrf, "version": answer["version"], "value": "Yes"})
    assert stale.status_code == 409 and "Not yet." in stale.text
    approved = editor.post(f"/answers/{answer['id']}/approve",
                           data={"csrf_token": csrf, "version": answer["version"] + 1},
                           follow_redirects=False)
    assert approved.status_code == 303
    commented = editor.post(f"/answers/{answer['id']}/comments",
                            data={"csrf_token": csrf, "text": "Checked with the CTO.",
                                      "next": back})
    assert commented.status_code == 200 and "Checked with the CTO." in commented.text
    row = next(r for r in site.answers() if r["answer"]["id"] == answer["id"])
    assert row["answer"]["status"] == "approved" and row["answer"]["value"] == "No"
    assert row["comments"][0]["author"] == "editor@example.com"


def test_api_approve_and_comment(site: Site) -> None:
    row = next(r for r in site.answers(status="auto"))
    answer, headers = row["answer"], {"X-CSRF-Token": site.csrf["admin"]}
    admin = site.clients["admin"]
    approved = admin.post(f"/api/v1/answers/{answer['id']}/approve",
                          json={"version": answer["version"]}, headers=headers)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    again = admin.post(f"/api/v1/answers/{answer['id']}/approve",
                       json={"version": answer["version"]}, headers=headers)
    assert again.status_code == 409
    comment = admin.post(f"/api/v1/answers/{answer['id']}/comments", json={"text": "Fine."},
                         headers=headers)
    assert comment.status_code == 201 and comment.json()["author"] == "admin@example.com"
    assert admin.post(f"/api/v1/answers/{answer['id']}/comments", json={"text": " "},
                      headers=headers).status_code == 422
    assert admin.post("/api/v1/answers/999999/approve", json={"version": 1},
                      headers=headers).status_code == 404


def test_an_empty_answer_cannot_be_approved(site: Site) -> None:
    empty = next(r["answer"] for r in site.answers() if not r["answer"]["value"])
    response = site.clients["editor"].post(
        f"/api/v1/answers/{empty['id']}/approve", json={"version": empty["version"]},
        headers={"X-CSRF-Token": site.csrf["editor"]})
    assert response.status_code == 422


def _upload_and_answer(site: Site, prospect: str, data: bytes = b"",
                       name: str = SAMPLE.name) -> int:
    editor = site.clients["editor"]
    created = editor.post("/api/v1/questionnaires", headers={"X-CSRF-Token": site.csrf["editor"]},
                          files={"file": (name, data or SAMPLE.read_bytes())},
                          data={"prospect": prospect})
    assert created.status_code == 201, created.text
    return wait_for_answers(editor, created.json()["id"])["id"]


def _rows(site: Site, questionnaire_id: int, **filters: str) -> list[dict[str, Any]]:
    response = site.clients["viewer"].get(
        f"/api/v1/questionnaires/{questionnaire_id}/answers", params=filters)
    assert response.status_code == 200, response.text
    return response.json()


def test_bulk_approval_lists_what_it_will_approve_and_approves_only_that(site: Site) -> None:
    questionnaire_id = _upload_and_answer(site, "Bulk Co")
    editor, csrf = site.clients["editor"], site.csrf["editor"]
    headers = {"X-CSRF-Token": csrf}
    pending = [r for r in _rows(site, questionnaire_id, band="high", status="auto")
               if r["answer"]["value"]]
    assert len(pending) >= 2, "the sample has high-confidence drafts"
    url = f"/api/v1/questionnaires/{questionnaire_id}/approve-high-confidence"
    preview = editor.get(url).json()
    assert preview["count"] == len(pending)
    assert [(a["id"], a["version"], a["ref"], a["value"]) for a in preview["answers"]] == [
        (r["answer"]["id"], r["answer"]["version"], r["question"]["ref"], r["answer"]["value"])
        for r in pending]
    # the confirmation page lists them, every ref and value, and approves nothing yet
    page = editor.get(f"/questionnaires/{questionnaire_id}/approve-high-confidence")
    assert page.status_code == 200
    assert f"{len(pending)} answers will be approved" in page.text
    for row in pending:
        assert row["question"]["ref"] in page.text and f'value="{row["answer"]["id"]}:' in page.text
    assert not _rows(site, questionnaire_id, status="approved")

    # nothing is approved blindly: a request naming no answers is refused
    events = _bulk_events(site)
    assert editor.post(url, headers=headers, json={}).status_code == 422
    assert editor.post(url, headers=headers, json={"answers": []}).status_code == 422
    blind = editor.post(f"/questionnaires/{questionnaire_id}/approve-high-confidence",
                        data={"csrf_token": csrf})
    assert blind.status_code == 422 and "no answers named" in blind.text
    listed = [f"{a['id']}:{a['version']}" for a in preview["answers"]]
    forged = editor.post(f"/questionnaires/{questionnaire_id}/approve-high-confidence",
                         data={"answer": listed})  # the listed answers, without the form token
    assert forged.status_code == 403 and "CSRF" in forged.text
    garbled = editor.post(f"/questionnaires/{questionnaire_id}/approve-high-confidence",
                          data={"csrf_token": csrf, "answer": ["all"]})
    assert garbled.status_code == 422
    assert not _rows(site, questionnaire_id, status="approved") and _bulk_events(site) == events

    # one listed answer changes after the list was shown: it is left for a person
    changed = pending[0]["answer"]
    assert editor.patch(f"/api/v1/answers/{changed['id']}", headers=headers, json={
        "value": changed["value"], "comment": "Checked by hand.",
        "version": changed["version"]}).status_code == 200
    form = [f"{a['id']}:{a['version']}" for a in preview["answers"]]
    confirmed = editor.post(f"/questionnaires/{questionnaire_id}/approve-high-confidence",
                            data={"csrf_token": csrf, "answer": form}, follow_redirects=False)
    assert confirmed.status_code == 303
    result = editor.get(confirmed.headers["location"])
    assert f"Approved {len(pending) - 1} answers." in result.text
    assert "changed after the list was shown" in result.text
    approved = {r["answer"]["id"] for r in _rows(site, questionnaire_id, status="approved")}
    assert approved == {r["answer"]["id"] for r in pending[1:]}
    assert _answer(site, changed["id"])["answer"]["status"] == "edited"
    assert _bulk_events(site) == events + 1  # one audit entry for the bulk approval
    event = next(e for e in site.clients["admin"].get("/api/v1/audit").json()
                 if e["action"] == "answer.approve.bulk")
    assert {a["id"] for a in event["after"]["approved"]} == approved
    assert [s["id"] for s in event["after"]["skipped"]] == [changed["id"]]

    # the API approves as listed too; what is already approved is skipped with the reason
    again = editor.post(url, headers=headers, json={"answers": [
        {"id": a["id"], "version": a["version"]} for a in preview["answers"]]})
    assert again.status_code == 200
    assert again.json()["approved"] == 0 and len(again.json()["skipped"]) == len(pending)
    assert editor.get(url).json()["count"] == 0
    assert "Nothing to approve" in editor.get(
        f"/questionnaires/{questionnaire_id}/approve-high-confidence").text
    review = editor.get(f"/questionnaires/{questionnaire_id}/review").text
    assert f'href="/questionnaires/{questionnaire_id}/approve-high-confidence"' in review
    assert 'action="/questionnaires/' + str(questionnaire_id) + '/approve-high' not in review


def _bulk_events(site: Site) -> int:
    return sum(e["action"] == "answer.approve.bulk"
               for e in site.clients["admin"].get("/api/v1/audit").json())


def _card(page: str, answer_id: int) -> str:
    found = re.search(rf'<article class="question card" id="answer-{answer_id}">(.*?)</article>',
                      page, re.S)
    assert found, f"no card for answer {answer_id}"
    return found.group(1)


def test_a_value_outside_the_dropdown_is_refused_with_the_options(site: Site) -> None:
    questionnaire_id = _upload_and_answer(site, "Options Co")
    editor, csrf = site.clients["editor"], site.csrf["editor"]
    headers = {"X-CSRF-Token": csrf}
    rows = _rows(site, questionnaire_id)
    row = next(r for r in rows if r["question"]["options"] == ["Yes", "No", "N/A"])
    answer = row["answer"]
    url = f"/api/v1/answers/{answer['id']}"
    refused = editor.patch(url, headers=headers, json={
        "value": "Maybe", "comment": "Typed by hand.", "version": answer["version"]})
    assert refused.status_code == 422
    assert refused.json()["detail"] == (f"'Maybe' is not one of the options of "
                                        f"{row['question']['ref']}: choose one of Yes / No / N/A")
    assert _answer(site, answer["id"])["answer"] == _answer(site, answer["id"])["answer"] | {
        "value": answer["value"], "version": answer["version"]}  # nothing saved

    review = f"/questionnaires/{questionnaire_id}/review?band=&section="
    page = editor.post(f"/answers/{answer['id']}/edit", data={
        "csrf_token": csrf, "version": answer["version"], "value": "Maybe",
        "comment": "Typed by hand.", "next": review})
    assert page.status_code == 422
    card = _card(page.text, answer["id"])
    assert "Not saved: &#39;Maybe&#39; is not one of the options" in card
    assert "Yes / No / N/A" in card
    assert ">Typed by hand.</textarea>" in card  # what was typed stays on the page
    assert f'name="next" value="{review.replace("&", "&amp;")}"' in card
    assert _answer(site, answer["id"])["answer"]["version"] == answer["version"]
    assert not any(e["action"] == "answer.edit" and e["target"] == f"answer:{answer['id']}"
                   for e in site.clients["admin"].get("/api/v1/audit").json())

    # the dropdown's own spelling is kept whatever the case typed
    saved = editor.patch(url, headers=headers, json={
        "value": "n/a", "comment": "Not applicable to this service.",
        "version": answer["version"]})
    assert saved.status_code == 200 and saved.json()["value"] == "N/A"
    cleared = editor.patch(url, headers=headers, json={
        "value": "", "comment": "", "version": answer["version"] + 1})
    assert cleared.status_code == 200 and cleared.json()["value"] == ""  # the empty choice

    # questions with options are edited with exactly those options (and an empty choice)
    page = editor.get(f"/questionnaires/{questionnaire_id}/review").text
    for row in rows:
        card = _card(page, row["answer"]["id"])
        options = row["question"]["options"]
        if options:
            select = re.search(r'<select name="value">(.*?)</select>', card, re.S)
            assert select, row["question"]["ref"]
            assert re.findall(r'<option value="([^"]*)"', select.group(1)) == ["", *options]
            assert '<textarea name="value"' not in card
        else:
            assert '<textarea name="value"' in card and '<select name="value">' not in card


def test_a_comment_is_not_carried_over_to_a_value_it_was_not_written_for(site: Site) -> None:
    questionnaire_id = _upload_and_answer(site, "Comments Co")
    editor, csrf = site.clients["editor"], site.csrf["editor"]
    headers = {"X-CSRF-Token": csrf}
    rows = _rows(site, questionnaire_id)
    drafted = next(r for r in rows if r["answer"]["comment"] and r["question"]["options"]
                   and r["answer"]["value"] in r["question"]["options"])
    answer = drafted["answer"]
    other = next(o for o in drafted["question"]["options"] if o != answer["value"])
    url = f"/api/v1/answers/{answer['id']}"
    kept = editor.patch(url, headers=headers, json={
        "value": other, "comment": answer["comment"], "version": answer["version"]})
    assert kept.status_code == 422
    assert f"the comment was written for the answer {answer['value']!r}" in kept.json()["detail"]
    page = editor.post(f"/answers/{answer['id']}/edit", data={
        "csrf_token": csrf, "version": answer["version"], "value": other,
        "comment": answer["comment"], "next": f"/questionnaires/{questionnaire_id}/review"})
    assert page.status_code == 422 and "rewrite it for" in _card(page.text, answer["id"])
    assert _answer(site, answer["id"])["answer"]["value"] == answer["value"]
    rewritten = editor.patch(url, headers=headers, json={
        "value": other, "comment": "Rolled out to half the fleet.", "version": answer["version"]})
    assert rewritten.status_code == 200 and rewritten.json()["comment"].startswith("Rolled")

    # a needs-review answer: the reviewer text is a note, so setting a value carries none of it
    row = next(r for r in rows
               if r["answer"]["status"] == "needs_review" and r["answer"]["note"])
    waiting, options = row["answer"], row["question"]["options"]
    assert waiting["comment"] == ""
    answered = editor.patch(f"/api/v1/answers/{waiting['id']}", headers=headers, json={
        "value": options[0] if options else "Done", "comment": "",
        "version": waiting["version"]})
    assert answered.status_code == 200, answered.text
    assert answered.json()["comment"] == "" and answered.json()["note"] == waiting["note"]


def test_reviewer_notes_are_shown_apart_read_only_and_never_exported(site: Site) -> None:
    questionnaire_id = _upload_and_answer(site, "Notes Co")
    rows = _rows(site, questionnaire_id)
    noted = [r["answer"] for r in rows if r["answer"]["note"]]
    assert noted, "needs-review answers carry the engine's note for the reviewer"
    assert all(not a["comment"] for a in noted if a["status"] == "needs_review")
    for role in ("viewer", "editor"):
        page = site.clients[role].get(f"/questionnaires/{questionnaire_id}/review").text
        for answer in noted:
            card = _card(page, answer["id"])
            assert 'class="note" role="note"' in card
            assert answer["note"].splitlines()[0].replace("'", "&#39;") in card.replace(
                "&#34;", '"').replace("&quot;", '"')
            assert 'name="note"' not in card  # read-only
    # an editor writing the note text into the answer is the only way it reaches the file
    editor, headers = site.clients["editor"], {"X-CSRF-Token": site.csrf["editor"]}
    for answer in noted[:3]:
        stored = _answer(site, answer["id"])
        value = stored["question"]["options"][0] if stored["question"]["options"] else "Yes"
        assert editor.patch(f"/api/v1/answers/{answer['id']}", headers=headers, json={
            "value": value, "comment": "", "version": answer["version"]}).status_code == 200
    for kind in ("filled", "report"):
        response = site.clients["viewer"].get(
            f"/questionnaires/{questionnaire_id}/export/{kind}")
        assert response.status_code == 200
        parts = _file_parts(response.content)
        for answer in noted:
            for text in _spellings(answer["note"]):
                assert not any(text in part for part in parts), (kind, answer["note"])


def _file_parts(data: bytes) -> list[str]:
    """Every part of an Office file (or the file itself), as text."""
    if not data.startswith(b"PK"):
        return [data.decode("utf-8", "replace")]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [archive.read(name).decode("utf-8", "replace") for name in archive.namelist()]


def _spellings(note: str) -> set[str]:
    """The note as it would appear in a part, raw or XML-escaped; its lines one by one."""
    from xml.sax.saxutils import escape

    lines = [line for line in note.splitlines() if line.strip()]
    return {spelled for line in lines
            for spelled in (line, escape(line), escape(line, {'"': "&quot;", "'": "&apos;"}))}


def test_the_export_check_says_which_answers_will_not_be_written_and_why(site: Site) -> None:
    questionnaire_id = _upload_and_answer(site, "Check Co")
    viewer, editor = site.clients["viewer"], site.clients["editor"]
    headers = {"X-CSRF-Token": site.csrf["editor"]}
    rows = _rows(site, questionnaire_id)
    target = next(r for r in rows if r["question"]["options"] == ["Yes", "No", "N/A"]
                  and r["answer"]["value"])
    # an answer outside its slot's options, as one stored before edits were checked could be
    with Session(site.app.state.engine) as session:
        stored = session.get(AnswerRecord, target["answer"]["id"])
        assert stored is not None
        stored.value = "Maybe"
        session.add(stored)
        session.commit()
    check = viewer.get(f"/api/v1/questionnaires/{questionnaire_id}/export-check")
    assert check.status_code == 200, check.text
    body = check.json()
    ref = target["question"]["ref"]
    assert {"answer_id": target["answer"]["id"], "ref": ref, "role": "answer",
            "value": "Maybe", "reason": "'Maybe' is not one of the slot's options"}.items() <= \
        next(n for n in body["not_written"] if n["ref"] == ref).items()
    unanswered = [r["question"]["ref"] for r in rows if not r["answer"]["value"]]
    assert sorted(n["ref"] for n in body["not_written"]
                  if n["reason"] == "needs review, no answer") == sorted(unanswered)
    written = sum(1 for r in rows if r["answer"]["value"]) - 1
    assert body["answers"] == written
    page = viewer.get(f"/questionnaires/{questionnaire_id}").text
    count = len(body["not_written"])
    assert f"{count} answers or comments will not be written" in page
    assert f"#answer-{target['answer']['id']}\">{ref}</a> answer: &#39;Maybe&#39; is not one of" \
        in page
    assert f"{len(unanswered)} questions need review and have no answer" in page
    review = viewer.get(f"/questionnaires/{questionnaire_id}/review").text
    assert f"{count} answers or comments will not be written" in review
    assert f'href="/questionnaires/{questionnaire_id}#export-check"' in review
    filled = viewer.get(f"/questionnaires/{questionnaire_id}/export/filled")
    from service.ingest import parse

    reread = {q.ref: q for q in parse(filled.content, "filled.xlsx").questions}
    assert reread[ref].existing_answer != "Maybe"  # as the check said

    # a file with no comment column: every answer written, then a comment it cannot take
    csv_id = _upload_and_answer(site, "No Comments Co", b"ID,Question,Answer\n"
                                b"B1,Do you encrypt backups?,\n", "backups.csv")
    [row] = _rows(site, csv_id)
    answer = editor.patch(f"/api/v1/answers/{row['answer']['id']}", headers=headers, json={
        "value": "Yes", "comment": "", "version": row["answer"]["version"]}).json()
    assert viewer.get(f"/api/v1/questionnaires/{csv_id}/export-check").json() == {
        "answers": 1, "not_written": []}
    assert "Every answer and comment will be written" in viewer.get(
        f"/questionnaires/{csv_id}").text
    editor.patch(f"/api/v1/answers/{answer['id']}", headers=headers, json={
        "value": "Yes", "comment": "Nightly, AES-256.", "version": answer["version"]})
    [missing] = viewer.get(f"/api/v1/questionnaires/{csv_id}/export-check").json()[
        "not_written"]
    assert (missing["role"], missing["value"], missing["reason"]) == (
        "comment", "Nightly, AES-256.", "no comment slot")
    waiting = viewer.post("/api/v1/questionnaires", headers=headers, files={
        "file": ("later.csv", b"ID,Question,Answer\nL1,Do you log access?,\n")},
        data={"prospect": "Later Co"})
    assert waiting.status_code == 403  # viewers do not upload


def _user_id(site: Site, role: str) -> int:
    with Session(site.app.state.engine) as session:
        user = session.exec(select(User).where(User.email == f"{role}@example.com")).one()
        assert user.id is not None
        return user.id


def test_assign_an_answer_show_it_filter_by_it_and_audit_it(site: Site) -> None:
    row = site.answers(status="needs_review")[2]
    answer, editor = row["answer"], site.clients["editor"]
    headers = {"X-CSRF-Token": site.csrf["editor"]}
    url = f"/api/v1/answers/{answer['id']}/assignee"
    assigned = editor.put(url, headers=headers, json={"assignee_id": _user_id(site, "editor"),
                                                      "version": answer["version"]})
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["assigned_to"] == _user_id(site, "editor")
    mine = site.answers(assigned="me")  # as the viewer: nothing is assigned to them
    assert mine == []
    listed = editor.get(f"/api/v1/questionnaires/{site.questionnaire_id}/answers",
                        params={"assigned": "me"}).json()
    assert [r["answer"]["id"] for r in listed] == [answer["id"]]
    assert listed[0]["answer"]["assignee"] == "editor@example.com"
    review = f"/questionnaires/{site.questionnaire_id}/review"
    page = editor.get(review, params={"assigned": "me"}).text
    assert page.count('class="question card"') == 1 and "assigned to editor@example.com" in page
    assert "assigned to editor@example.com" in site.clients["viewer"].get(review).text
    stale = editor.put(url, headers=headers, json={"assignee_id": None,
                                                   "version": answer["version"]})
    assert stale.status_code == 409
    viewer_id = _user_id(site, "viewer")
    refused = editor.put(url, headers=headers, json={"assignee_id": viewer_id,
                                                     "version": answer["version"] + 1})
    assert refused.status_code == 422 and "cannot edit answers" in refused.json()["detail"]
    form = editor.post(f"/answers/{answer['id']}/assign", follow_redirects=False, data={
        "csrf_token": site.csrf["editor"], "version": answer["version"] + 1, "assignee": "",
        "next": review})
    assert form.status_code == 303 and form.headers["location"] == f"{review}#answer-{answer['id']}"
    assert editor.get(f"/api/v1/questionnaires/{site.questionnaire_id}/answers",
                      params={"assigned": "me"}).json() == []
    audit = site.clients["admin"].get("/api/v1/audit").json()
    changes = [(e["before"]["assigned_to"], e["after"]["assigned_to"]) for e in audit
               if e["action"] == "answer.assign" and e["target"] == f"answer:{answer['id']}"]
    assert changes == [(_user_id(site, "editor"), None), (None, _user_id(site, "editor"))]
    assert site.clients["viewer"].get(
        f"/api/v1/questionnaires/{site.questionnaire_id}/answers",
        params={"assigned": "someone"}).status_code == 422


def test_missing_things_are_404(site: Site) -> None:
    viewer = site.clients["viewer"]
    assert viewer.get("/questionnaires/999999").status_code == 404
    assert viewer.get("/api/v1/questionnaires/999999").status_code == 404
    assert viewer.get("/api/v1/jobs/999999").status_code == 404


# -- knowledge base ----------------------------------------------------------------------------

def test_knowledge_base_page_and_api(site: Site) -> None:
    page = site.clients["viewer"].get("/knowledge").text
    data = site.clients["viewer"].get("/api/v1/knowledge").json()
    assert data["company"]["name"] in page
    control = data["domains"][0]["controls"][0]
    assert control["id"] in page and control["effective"]
    assert {e["state"] for e in data["evidence"]} <= {"expired", "expiring", "current"}
    assert data["evidence"] and data["evidence"][0]["id"] in page
    assert data["facts"] and next(iter(data["facts"])).replace("_", " ") in page


def test_an_approved_answer_saved_to_the_library_is_listed_and_reused(site: Site) -> None:
    editor, headers = site.clients["editor"], {"X-CSRF-Token": site.csrf["editor"]}
    rows = [r for r in site.answers() if r["answer"]["basis"] == "control"
            and r["answer"]["value"] == "Yes"]
    row = rows[-1]
    answer = row["answer"]
    if answer["status"] != "approved":  # earlier tests may have approved it in bulk
        not_yet = editor.post(f"/api/v1/answers/{answer['id']}/library", headers=headers)
        assert not_yet.status_code == 422 and "approved" in not_yet.json()["detail"]
        assert editor.post(f"/api/v1/answers/{answer['id']}/approve", headers=headers,
                           json={"version": answer["version"]}).status_code == 200
    knowledge = site.app.state.knowledge
    matcher = knowledge.matcher()
    saved = editor.post(f"/answers/{answer['id']}/library", follow_redirects=False,
                        data={"csrf_token": site.csrf["editor"], "next": "/"})
    assert saved.status_code == 303
    cited = [c["id"] for c in answer["citations"] if c["kind"] == "control"]
    entry = {"question": row["question"]["text"], "answer": "Yes", "controls": cited}
    assert cited and entry in site.clients["viewer"].get("/api/v1/knowledge").json()[
        "answer_library"]
    assert row["question"]["text"] in site.clients["viewer"].get("/knowledge").text
    assert knowledge.matcher() is not matcher  # rebuilt over the new library
    again = editor.post(f"/api/v1/answers/{answer['id']}/library", headers=headers)
    assert again.status_code == 422 and "already" in again.json()["detail"]
    created = editor.post("/api/v1/questionnaires", headers=headers, files={"file": (
        "library.csv", f'ID,Question,Answer\n1,"{row["question"]["text"]}",\n'.encode())},
        data={"prospect": "Library Co"}).json()
    reused = editor.get(f"/api/v1/questionnaires/{wait_for_answers(editor, created['id'])['id']}"
                        "/answers").json()[0]["answer"]
    assert reused["basis"] == "library" and reused["value"] == "Yes"
    assert {c["id"] for c in reused["citations"] if c["kind"] == "control"} == set(cited)
    audit = site.clients["admin"].get("/api/v1/audit").json()
    assert any(e["action"] == "library.add" and e["after"]["answer"] == answer["id"]
               for e in audit)


# -- export ------------------------------------------------------------------------------------

def _review_and_download(site: Site, role: str, api: bool) -> tuple[dict[str, Any], Any]:
    """Edit and approve one needs-review answer, then download the filled file as `role`."""
    answer = site.answers(status="needs_review")[1]["answer"]
    editor, headers = site.clients["editor"], {"X-CSRF-Token": site.csrf["editor"]}
    edited = editor.patch(f"/api/v1/answers/{answer['id']}", headers=headers, json={
        "value": "No", "comment": f"Reviewed for export via {role}.",
        "version": answer["version"]})
    assert edited.status_code == 200, edited.text
    approved = editor.post(f"/api/v1/answers/{answer['id']}/approve", headers=headers,
                           json={"version": edited.json()["version"]})
    assert approved.status_code == 200, approved.text
    prefix = "/api/v1" if api else ""
    response = site.clients[role].get(
        f"{prefix}/questionnaires/{site.questionnaire_id}/export/filled")
    assert response.status_code == 200, response.text
    return approved.json(), response


@pytest.mark.parametrize(("role", "api"), [("viewer", False), ("editor", True)])
def test_filled_file_carries_the_reviewed_answers(site: Site, role: str, api: bool) -> None:
    from service.ingest import parse

    approved, response = _review_and_download(site, role, api)
    assert response.headers["content-disposition"] == (
        f'attachment; filename="{SAMPLE.stem}_filled.xlsx"')
    questions = {q.ref: q for q in parse(response.content, "filled.xlsx").questions}
    row = next(r for r in site.answers() if r["answer"]["id"] == approved["id"])
    filled = questions[row["question"]["ref"]]
    assert approved["status"] == "approved"
    assert filled.existing_answer == "No"
    assert filled.existing_comment == f"Reviewed for export via {role}."
    for other in site.answers(status="needs_review"):  # no value: left blank, comment not sent
        if not other["answer"]["value"]:
            assert not questions[other["question"]["ref"]].existing_answer
    detail = site.clients["viewer"].get(f"/api/v1/questionnaires/{site.questionnaire_id}").json()
    stored = Path(site.app.state.settings.data_dir) / "uploads" / f"{detail['sha256']}.xlsx"
    assert stored.read_bytes() == SAMPLE.read_bytes()  # the original is never written to
    assert not any((Path(site.app.state.settings.data_dir) / "exports").iterdir())  # cleaned up
    audit = site.clients["admin"].get("/api/v1/audit").json()
    assert any(e["action"] == "questionnaire.export.filled" for e in audit)


def test_the_export_is_the_engines_answers_from_the_database_not_a_re_read_original(
    site: Site, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Exports build the answered questionnaire from the stored rows alone: with every way of
    reading the original refused, the filled file is byte for byte what exporting the
    engine's own answers gives."""
    from service.answering import answer_questionnaire
    from service.export import export_filled
    from service.ingest import isolated, parse
    from service.web import questionnaires

    editor = site.clients["editor"]
    created = editor.post("/api/v1/questionnaires", headers={"X-CSRF-Token": site.csrf["editor"]},
                          files={"file": (SAMPLE.name, SAMPLE.read_bytes())},
                          data={"prospect": "Stored Answers Co"}).json()
    wait_for_answers(editor, created["id"])
    matcher = site.app.state.knowledge.matcher()
    direct = answer_questionnaire(parse(SAMPLE), matcher.kb, matcher.company, matcher,
                                  date.today())
    expected = export_filled(direct, SAMPLE.read_bytes(), tmp_path / "direct.xlsx",
                             matcher.kb).paths[0].read_bytes()

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the export read the original as a questionnaire")

    monkeypatch.setattr(isolated, "run_isolated", refuse)
    monkeypatch.setattr(questionnaires, "load_questionnaire", refuse)
    response = editor.get(f"/api/v1/questionnaires/{created['id']}/export/filled")
    assert response.status_code == 200, response.text
    assert response.content == expected
    stored = {r["question"]["ref"]: r["answer"] for r in editor.get(
        f"/api/v1/questionnaires/{created['id']}/answers").json()}
    for item in direct.answers:
        answer = stored[item.question.ref]
        assert (answer["value"], answer["comment"], answer["note"], answer["status"]) == (
            item.answer.value, item.answer.comment, item.answer.note, item.answer.status)


def test_answer_report_lists_every_question_with_its_review_status(site: Site) -> None:
    from openpyxl import load_workbook

    response = site.clients["viewer"].get(
        f"/questionnaires/{site.questionnaire_id}/export/report")
    assert response.status_code == 200
    assert f'filename="{SAMPLE.stem}_report.xlsx"' in response.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("ID", "Question", "Answer", "Comment", "Status")
    statuses = {r["question"]["ref"]: r["answer"]["status"] for r in site.answers()}
    assert len(rows) - 1 == len(statuses)
    assert {row[0]: row[4] for row in rows[1:]} == {
        ref: status.replace("_", " ") for ref, status in statuses.items()}


def test_review_page_offers_the_downloads_to_viewers(site: Site) -> None:
    page = site.clients["viewer"].get(f"/questionnaires/{site.questionnaire_id}/review").text
    assert f"/questionnaires/{site.questionnaire_id}/export/filled" in page
    assert f"/questionnaires/{site.questionnaire_id}/export/report" in page
    assert site.clients["viewer"].get(
        f"/api/v1/questionnaires/{site.questionnaire_id}/export/other").status_code == 422


def test_a_pdf_exports_as_a_side_car_xlsx(site: Site, corpus: Path) -> None:
    from openpyxl import load_workbook

    source = corpus / "pdf" / "UK_ICO_DPIA_template_GDPR_blank.pdf"
    editor = site.clients["editor"]
    created = editor.post("/api/v1/questionnaires", headers={"X-CSRF-Token": site.csrf["editor"]},
                          files={"file": (source.name, source.read_bytes())},
                          data={"prospect": "Data Protection Co", "frameworks": ["gdpr"]}).json()
    job = created["progress"]["job"]
    deadline = time.monotonic() + ANSWER_TIMEOUT
    while job["status"] in ("pending", "running"):
        assert time.monotonic() < deadline, f"answering did not finish: {job}"
        time.sleep(0.3)
        job = editor.get(f"/api/v1/jobs/{job['id']}").json()
    response = editor.get(f"/api/v1/questionnaires/{created['id']}/export/filled")
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"] == (
        f'attachment; filename="{source.stem}_filled.xlsx"')
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    header, *rows = sheet.iter_rows(values_only=True)
    assert header == ("ID", "Question", "Answer", "Comment")
    assert len(rows) == created["progress"]["questions"]


# -- roadmap -----------------------------------------------------------------------------------

def test_roadmap_page_shows_posture_timeline_and_items(site: Site) -> None:
    plan = site.clients["editor"].get("/api/v1/roadmap").json()
    assert plan["items"], "the sample's gaps give the plan work to schedule"
    page = site.clients["editor"].get("/roadmap").text
    for heading in ("Posture now and after each phase", "Timeline", "Days 1–30", "After day 90"):
        assert heading in page
    assert set(plan["posture"]["frameworks"]) == {"soc2", "hipaa", "gdpr"}
    assert page.count("<meter") == len(plan["posture"]["milestones"]) * (
        len(plan["posture"]["frameworks"]) + len(plan["posture"]["questionnaires"]))
    first = plan["items"][0]
    assert first["control"] in page and first["owner_role"] in page and first["why"] in page
    assert page.count('class="bar phase-') >= len(plan["items"])
    assert "Northwind Health" in page
    assert 'href="/roadmap"' in page
    assert 'href="/roadmap"' not in site.clients["viewer"].get("/").text


def test_two_questionnaires_with_one_file_name_are_both_on_the_roadmap(site: Site) -> None:
    editor = site.clients["editor"]
    ids = []
    for prospect, question in (("Twin A", "Do you encrypt backups?"),
                               ("Twin B", "Do you run a bug bounty?")):
        created = editor.post(
            "/api/v1/questionnaires", headers={"X-CSRF-Token": site.csrf["editor"]},
            files={"file": ("twin.csv", f"ID,Question,Answer\n1,{question},\n")},
            data={"prospect": prospect}).json()
        wait_for_answers(editor, created["id"])
        ids.append(created["id"])
    posture = editor.get("/api/v1/roadmap").json()["posture"]["questionnaires"]
    assert {f"twin.csv #{n}" for n in ids} <= set(posture)


def test_roadmap_downloads(site: Site) -> None:
    from docx import Document
    from openpyxl import load_workbook

    editor = site.clients["editor"]
    plan = editor.get("/roadmap/plan.xlsx")
    assert plan.status_code == 200 and ".xlsx" in plan.headers["content-disposition"]
    assert load_workbook(io.BytesIO(plan.content)).sheetnames[0] == "Plan"
    memo = editor.get("/roadmap/memo.docx")
    assert memo.status_code == 200 and ".docx" in memo.headers["content-disposition"]
    assert any(p.text.strip() for p in Document(io.BytesIO(memo.content)).paragraphs)


# -- knowledge-base editing (changes the shared site's knowledge: restored at the end) ----------

def _wait_for_jobs(site: Site, job_ids: list[int]) -> None:
    deadline = time.monotonic() + ANSWER_TIMEOUT
    for job_id in job_ids:
        while (job := site.clients["viewer"].get(f"/api/v1/jobs/{job_id}").json())[
                "status"] in ("pending", "running"):
            assert time.monotonic() < deadline, f"refresh did not finish: {job}"
            time.sleep(0.3)
        assert job["status"] == "done", job


def _answer(site: Site, answer_id: int) -> dict[str, Any]:
    for record in site.clients["viewer"].get("/api/v1/questionnaires").json():
        for row in site.clients["viewer"].get(
                f"/api/v1/questionnaires/{record['id']}/answers").json():
            if row["answer"]["id"] == answer_id:
                return row
    raise AssertionError(f"no answer {answer_id}")


def test_a_control_downgrade_recomputes_automatic_answers_and_flags_reviewed_ones(
    site: Site,
) -> None:
    admin, headers = site.clients["admin"], {"X-CSRF-Token": site.csrf["admin"]}
    editor, editor_headers = site.clients["editor"], {"X-CSRF-Token": site.csrf["editor"]}
    knowledge = site.app.state.knowledge
    # two questions the sample answered "Yes" from a control, asked afresh (earlier tests
    # reviewed the sample's answers), sharing a control where the sample has such a pair
    rows = [r for r in site.answers() if r["answer"]["value"] == "Yes"
            and r["answer"]["basis"] == "control"]
    cited = [{c["id"] for c in r["answer"]["citations"] if c["kind"] == "control"} for r in rows]
    pair = next(((i, j) for i in range(len(rows)) for j in range(i + 1, len(rows))
                 if cited[i] & cited[j]), (0, 1))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["ID", "Question", "Answer"])
    for n, i in enumerate(pair, 1):
        writer.writerow([n, rows[i]["question"]["text"], ""])
    created = editor.post("/api/v1/questionnaires", headers=editor_headers, files={
        "file": ("recheck.csv", out.getvalue().encode())}, data={"prospect": "Recheck Co"})
    assert created.status_code == 201, created.text
    fresh_id = wait_for_answers(editor, created.json()["id"])["id"]
    fresh = [r["answer"] for r in editor.get(
        f"/api/v1/questionnaires/{fresh_id}/answers").json()]
    assert [a["value"] for a in fresh] == ["Yes", "Yes"]
    assert all(a["status"] in ("auto", "needs_review") for a in fresh)
    auto, reviewed = fresh
    controls = sorted({c["id"] for a in fresh for c in a["citations"] if c["kind"] == "control"})
    assert controls
    if reviewed["status"] != "approved":
        approved = editor.post(f"/api/v1/answers/{reviewed['id']}/approve",
                               headers=editor_headers, json={"version": reviewed["version"]})
        assert approved.status_code == 200, approved.text
    original = {c: knowledge.company.control_states.get(c) for c in controls}
    assert all(state and state.status == "implemented" for state in original.values())
    matcher = knowledge.matcher()

    jobs: list[int] = []
    flagged: set[int] = set()
    for control in controls:
        changed = admin.put(f"/api/v1/knowledge/controls/{control}", headers=headers,
                            json={"status": "partial", "note": "Rolled back to pilot.",
                                  "target_date": "2027-03-31"})
        assert changed.status_code == 200, changed.text
        body = changed.json()
        assert (body["status"], body["effective"]) == ("partial", "partial")
        assert body["target_date"] == "2027-03-31"
        jobs += body["refresh_jobs"]
        flagged |= set(body["flagged_answers"])
    assert jobs and reviewed["id"] in flagged
    assert knowledge.matcher() is not matcher  # the cached matcher was dropped
    listed = {c["id"]: c for d in admin.get("/api/v1/knowledge").json()["domains"]
              for c in d["controls"]}
    assert all(listed[c]["declared"] == "partial" for c in controls)
    _wait_for_jobs(site, jobs)

    recomputed = _answer(site, auto["id"])["answer"]
    assert recomputed["value"] != "Yes"  # no "Yes" without an implemented control
    assert recomputed["status"] in ("auto", "needs_review")
    kept = _answer(site, reviewed["id"])
    assert kept["answer"]["value"] == reviewed["value"] == "Yes"  # not overwritten
    assert kept["answer"]["status"] == "needs_review"
    # what changed is a note for reviewers, not a comment for the customer's file
    assert "changed from implemented to partial" in kept["answer"]["note"]
    assert "changed from" not in kept["answer"]["comment"]
    assert not any("changed from" in c["text"] for c in kept["comments"])
    audit = admin.get("/api/v1/audit").json()
    assert any(e["action"] == "knowledge.control" and e["target"] == f"control:{controls[0]}"
               and e["before"]["status"] == "implemented" and e["after"]["status"] == "partial"
               for e in audit)
    assert any(e["action"] == "answer.flag" and e["target"] == f"answer:{reviewed['id']}"
               and e["before"]["status"] == "approved"
               and e["after"]["status"] == "needs_review" for e in audit)
    assert any(e["action"] == "answer.recompute" and e["target"] == f"answer:{auto['id']}"
               and e["before"]["value"] == "Yes" for e in audit)

    # restored through the page form: the automatic answer is "Yes" again
    jobs = []
    for control, state in original.items():
        assert state is not None
        form = admin.post(f"/knowledge/controls/{control}", follow_redirects=False, data={
            "csrf_token": site.csrf["admin"], "status": "implemented", "note": state.note,
            "target_date": state.target_date.isoformat() if state.target_date else ""})
        assert form.status_code == 303
        assert form.headers["location"] == f"/knowledge#control-{control}"
    jobs = [e["after"]["job"] for e in admin.get("/api/v1/audit").json()
            if e["action"] == "questionnaire.refresh"]
    _wait_for_jobs(site, jobs)
    assert _answer(site, auto["id"])["answer"]["value"] == "Yes"
    assert _answer(site, reviewed["id"])["answer"]["status"] == "needs_review"


def test_evidence_dates_are_edited_validated_and_audited(site: Site) -> None:
    admin, headers = site.clients["admin"], {"X-CSRF-Token": site.csrf["admin"]}
    knowledge = site.app.state.knowledge
    item = next(e for e in knowledge.company.evidence.values() if e.expires is not None)
    path = f"/api/v1/knowledge/evidence/{item.id}"
    bad = admin.put(path, headers=headers, json={"collected": "2026-05-01",
                                                 "expires": "2026-01-01"})
    assert bad.status_code == 422 and "before it was collected" in bad.json()["detail"]
    assert admin.put("/api/v1/knowledge/evidence/NOPE", headers=headers,
                     json={"collected": "2026-01-01"}).status_code == 404
    assert admin.put("/api/v1/knowledge/controls/NOPE-99", headers=headers,
                     json={"status": "partial"}).status_code == 404
    control = next(iter(knowledge.company.control_states))
    wrong = admin.put(f"/api/v1/knowledge/controls/{control}", headers=headers,
                      json={"status": "done"})
    assert wrong.status_code == 422 and "unknown status" in wrong.json()["detail"]

    changed = admin.put(path, headers=headers, json={"collected": "2020-01-01",
                                                     "expires": "2021-01-01"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["expires"] == "2021-01-01"
    evidence = {e["id"]: e for e in admin.get("/api/v1/knowledge").json()["evidence"]}
    assert evidence[item.id]["state"] == "expired"
    audit = admin.get("/api/v1/audit").json()
    event = next(e for e in audit if e["action"] == "knowledge.evidence"
                 and e["target"] == f"evidence:{item.id}")
    assert event["before"]["expires"] == item.expires.isoformat()
    assert event["after"]["expires"] == "2021-01-01"
    _wait_for_jobs(site, changed.json()["refresh_jobs"])

    form = admin.post(f"/knowledge/evidence/{item.id}", follow_redirects=False, data={
        "csrf_token": site.csrf["admin"], "collected": item.collected.isoformat(),
        "expires": item.expires.isoformat()})
    assert form.status_code == 303 and form.headers["location"] == f"/knowledge#evidence-{item.id}"
    assert knowledge.company.evidence[item.id] == item
    page = admin.get("/knowledge").text
    assert f'action="/knowledge/evidence/{item.id}"' in page
    assert 'action="/knowledge/controls/' not in site.clients["editor"].get("/knowledge").text
    jobs = [e["after"]["job"] for e in admin.get("/api/v1/audit").json()
            if e["action"] == "questionnaire.refresh"]
    _wait_for_jobs(site, jobs)


def test_roadmap_and_export_before_anything_is_answered(tmp_path: Path, database_url: str
                                                        ) -> None:
    settings = Settings(data_dir=tmp_path, database_url=database_url)
    app = create_app(settings, run_jobs=False)  # nothing gets answered
    with Session(app.state.engine) as session:
        create_user(session, "cto@example.com", "CTO", "editor", PASSWORD)
    client = TestClient(app)
    csrf = sign_in(client, "cto@example.com")
    page = client.get("/roadmap").text
    assert "No answered questionnaires yet" in page and "/upload" in page
    # with no questionnaire to focus it, the plan covers every control not yet in place
    assert client.get("/api/v1/roadmap").json()["items"] and "Timeline" in page
    created = client.post("/api/v1/questionnaires", headers={"X-CSRF-Token": csrf},
                          files={"file": ("q.csv", b"ID,Question,Answer\n1,Do you use MFA?,\n")},
                          data={"prospect": "Early Co"}).json()
    waiting = client.get(f"/api/v1/questionnaires/{created['id']}/export/filled")
    assert waiting.status_code == 422 and "not ready" in waiting.json()["detail"]
    assert "/export/filled" not in client.get(f"/questionnaires/{created['id']}/review").text
    assert "No answered questionnaires yet" in client.get("/roadmap").text
