"""Sign in and out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlmodel import Session

from ..auth import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    SESSION_LIFETIME,
    Principal,
    TooManyAttempts,
    end_session,
    new_token,
    sign_in,
    start_session,
    tokens_match,
)
from ..deps import client_address, db, render, require, safe_next

router = APIRouter(include_in_schema=False)


def set_session_cookie(response: Response, token: str) -> None:
    response.set_cookie(SESSION_COOKIE, token, max_age=int(SESSION_LIFETIME.total_seconds()),
                        httponly=True, samesite="lax", path="/")


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    token = new_token()
    response = render(request, "login.html", None, login_csrf=token, next=safe_next(next))
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/login")
    return response


@router.post("/login")
def login(
    request: Request,
    session: Annotated[Session, Depends(db)],
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    error, status, headers = "Wrong email or password, or the form expired: try again.", 401, {}
    try:
        user = (sign_in(session, email, password, client_address(request))
                if tokens_match(expected, csrf_token) else None)
    except TooManyAttempts as refused:
        user, error, status = None, str(refused), 429
        headers = {"Retry-After": str(refused.retry_after)}
    if user is None:
        token = new_token()
        response = render(request, "login.html", None, status_code=status, login_csrf=token,
                          next=safe_next(next), email=email, error=error)
        response.headers.update(headers)
        response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                            path="/login")
        return response
    response = RedirectResponse(safe_next(next), status_code=303)
    set_session_cookie(response, start_session(session, user))
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(
    request: Request,
    session: Annotated[Session, Depends(db)],
    _me: Annotated[Principal, Depends(require("viewer"))],
) -> Response:
    end_session(session, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
