"""What routes share: the database session, the signed-in user with their role, CSRF, pages."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from .auth import CSRF_FIELD, CSRF_HEADER, SESSION_COOKIE, Principal, principal_for, tokens_match

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class NotAuthenticated(Exception):
    pass


class Forbidden(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def db(request: Request) -> Iterator[Session]:
    with Session(request.app.state.engine) as session:
        yield session


def require(role: str) -> Callable[[Request], Coroutine[Any, Any, Principal]]:
    """A dependency: the signed-in user, who must have `role` or a higher one.

    State-changing requests must also carry the session's CSRF token.
    """

    async def dependency(request: Request) -> Principal:
        principal = signed_in(request)
        if principal is None:
            raise NotAuthenticated()
        if request.method not in SAFE_METHODS:
            given = request.headers.get(CSRF_HEADER)
            if given is None and _is_form(request):
                given = str((await request.form()).get(CSRF_FIELD) or "")
            if not tokens_match(principal.csrf_token, given):
                raise Forbidden("missing or wrong CSRF token: reload the page and try again")
        if not principal.can(role):
            raise Forbidden(f"this needs the {role} role; you are signed in as {principal.role}")
        return principal

    return dependency


def signed_in(request: Request) -> Principal | None:
    with Session(request.app.state.engine) as session:
        return principal_for(session, request.cookies.get(SESSION_COOKIE))


def _is_form(request: Request) -> bool:
    kind = request.headers.get("content-type", "")
    return kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))


def render(
    request: Request, template: str, me: Principal | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    return request.app.state.templates.TemplateResponse(
        request, template, {"me": me, **context}, status_code=status_code
    )


def safe_next(target: str, fallback: str = "/") -> str:
    """Only a path on this site: `next` must not send a user elsewhere after a form."""
    if target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return fallback


# The dependencies routes declare, by the least role they need.
Viewer = Annotated[Principal, Depends(require("viewer"))]
Editor = Annotated[Principal, Depends(require("editor"))]
Admin = Annotated[Principal, Depends(require("admin"))]
Db = Annotated[Session, Depends(db)]


def client_address(request: Request) -> str:
    """The client's IP address (uvicorn's --proxy-headers puts the real one here behind a
    reverse proxy)."""
    return request.client.host if request.client else "unknown"
