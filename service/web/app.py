"""The application factory: everything the routes need hangs off `app.state`."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi import HTTPException as FastAPIHTTPException
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.export import ExportError
from service.export.plan import fit_options
from service.ingest import DEFAULT_LIMITS, IngestError
from service.settings import REPO_ROOT, Settings

from .answers import complete_stored
from .database import exclusive, open_database
from .deps import Forbidden, NotAuthenticated, render, signed_in
from .jobs import JobWorker
from .knowledge import SAMPLE_COMPANY_KEY, Knowledge, fact_value, seed_sample_company
from .questionnaires import (
    REQUEST_BODY_LIMIT,
    UPLOAD_BODY_LIMIT,
    InvalidInput,
    confidence_band,
)
from .review import NotFound, VersionConflict
from .routes import ROUTERS

FRONTEND = REPO_ROOT / "frontend"
UPLOAD_PATHS = ("/upload", "/api/v1/questionnaires")
API_PREFIX = "/api/"
SECURITY_HEADERS = {
    # no inline script or style anywhere: every asset is served from /static
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def create_app(settings: Settings, *, run_jobs: bool = True) -> FastAPI:
    """Open (and migrate) the database, seed the sample company if new, wire the routes.

    `run_jobs=True` answers queued jobs in a thread of this process (tests, a single embedded
    app). `candor serve` passes False and starts `candor worker` instead: a separate process
    at lower CPU priority, so answering never holds up people's page views. With False,
    `app.state.worker.run_pending()` runs queued jobs on demand.
    """
    engine, seeded = prepare(settings)
    worker = job_worker(settings, engine)
    knowledge = worker.knowledge

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if run_jobs:
            worker.start()
        yield
        worker.stop()

    app = FastAPI(
        title="Candor",
        summary="Answer security questionnaires truthfully from your controls and evidence.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # Swagger UI needs a CDN and inline script: /docs is rendered here
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.knowledge = knowledge
    app.state.worker = worker
    app.state.seeded = seeded
    app.state.templates = _templates()
    app.mount("/static", StaticFiles(directory=FRONTEND / "static"), name="static")
    app.add_middleware(BodyLimit)  # innermost, so its 413 reaches body parsing unwrapped
    app.middleware("http")(_security_headers)
    _add_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    return app


def prepare(settings: Settings) -> tuple[Engine, bool]:
    """The data directory and the migrated database, with the sample company seeded if it is
    new (True then); one process at a time, however many start together."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = open_database(settings.database_url)
    with exclusive(engine):
        seeded = seed_sample_company(engine, settings.knowledge_dir)
        complete_stored(engine, settings.data_dir)  # rows kept before questions were whole
    return engine, seeded


def job_worker(settings: Settings, engine: Engine) -> JobWorker:
    knowledge = Knowledge(engine, SAMPLE_COMPANY_KEY, settings.data_dir / "cache")
    return JobWorker(engine, settings.data_dir, knowledge)


def app_from_env() -> FastAPI:
    """The factory each of `candor serve --workers N`'s processes calls (settings from the
    environment the command set); `candor worker` answers their jobs."""
    settings = Settings.from_env()
    use_temporary_dir(settings.data_dir)
    return create_app(settings, run_jobs=False)


TEMPORARY = "tmp"


def use_temporary_dir(data_dir: Path) -> str | None:
    """Make `tmp/` in the data directory this process's directory for temporary files; returns
    the setting it replaces.

    Libraries put temporary files in the default one with no say for the caller: Starlette
    spools uploads over 1 MiB, openpyxl writes each worksheet of every XLSX it saves (the
    answers) there first, torch makes its compile cache folder on import. Pointed here, none
    of it lands outside the data directory. Set once per server process, by `candor serve`
    and `app_from_env`; not by `create_app`, which tests call many times in one process.
    """
    folder = (data_dir / TEMPORARY).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    previous, tempfile.tempdir = tempfile.tempdir, str(folder)
    return previous


FRAMEWORK_NAMES = {"soc2": "SOC 2", "hipaa": "HIPAA", "gdpr": "GDPR"}


def short_ref(ref: str) -> str:
    """'GDPR Art. 32' under a GDPR label reads 'Art. 32'."""
    return ref.removeprefix("GDPR ")


def _templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=FRONTEND / "templates")
    templates.env.globals.update(band=confidence_band, fact_value=fact_value, today=date.today,
                                 fits=lambda value, options: fit_options(value, tuple(options))
                                 is not None,
                                 framework_names=FRAMEWORK_NAMES,
                                 max_upload_bytes=DEFAULT_LIMITS.max_bytes)
    templates.env.filters["short_ref"] = short_ref
    return templates


async def _security_headers(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    response = await call_next(request)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def failure(request: Request, status: int, message: str, **extra: object) -> Response:
    """How a failure looks: JSON under /api/, a page elsewhere."""
    if request.url.path.startswith(API_PREFIX):
        return JSONResponse({"detail": message, **extra}, status_code=status)
    return render(request, "error.html", signed_in(request), status_code=status,
                  status=status, message=message, **extra)


def _body_limit(path: str) -> int:
    return UPLOAD_BODY_LIMIT if path in UPLOAD_PATHS else REQUEST_BODY_LIMIT


def _too_large(request: Request) -> Response:
    return failure(request, 413, f"the request is over the {_body_limit(request.url.path) // 2**20}"
                   " MiB limit: nothing was stored")


class BodyLimit:
    """Refuse request bodies over the limit (413) without reading them whole: a declared
    length is checked before a byte is read; a body without one is counted as it arrives,
    and the read that crosses the limit fails with an HTTPException the handlers answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = _body_limit(scope["path"])
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _too_large(Request(scope))(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:  # FastAPI passes its own HTTPException through body parsing
                raise FastAPIHTTPException(413)
            return message

        await self.app(scope, counted, send)


def _add_error_handlers(app: FastAPI) -> None:
    """Domain errors and HTTP errors, each to its status code, through `failure`."""

    async def not_authenticated(request: Request, _exc: Exception) -> Response:
        if request.url.path.startswith(API_PREFIX):
            return JSONResponse({"detail": "sign in first"}, status_code=401)
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    async def forbidden(request: Request, exc: Exception) -> Response:
        return failure(request, 403, str(exc))

    async def not_found(request: Request, exc: Exception) -> Response:
        return failure(request, 404, str(exc))

    async def bad_input(request: Request, exc: Exception) -> Response:
        return failure(request, 422, str(exc))

    async def conflict(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, VersionConflict)
        return failure(request, 409, str(exc), current=exc.current)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 413:
            return _too_large(request)
        return failure(request, exc.status_code, str(exc.detail))

    async def invalid_request(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        if request.url.path.startswith(API_PREFIX):
            return JSONResponse({"detail": exc.errors()}, status_code=422)
        fields = ", ".join(str(e["loc"][-1]) for e in exc.errors())
        return failure(request, 422, f"missing or invalid field(s): {fields}")

    app.add_exception_handler(NotAuthenticated, not_authenticated)
    app.add_exception_handler(Forbidden, forbidden)
    app.add_exception_handler(NotFound, not_found)
    app.add_exception_handler(InvalidInput, bad_input)
    app.add_exception_handler(IngestError, bad_input)
    app.add_exception_handler(ExportError, bad_input)
    app.add_exception_handler(VersionConflict, conflict)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
