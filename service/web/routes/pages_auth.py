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
    authenticate,
    end_session,
    new_token,
    start_session,
    tokens_match,
)
from ..deps import db, render, require, safe_next

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
    user = authenticate(session, email, password) if tokens_match(expected, csrf_token) else None
    if user is None:
        token = new_token()
        response = render(request, "login.html", None, status_code=401, login_csrf=token,
                          next=safe_next(next), email=email,
                          error="Wrong email or password, or the form expired: try again.")
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
