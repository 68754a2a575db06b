"""Signing in from a script, and who am I."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlmodel import Session

from ..auth import (
    SESSION_COOKIE,
    Principal,
    TooManyAttempts,
    end_session,
    principal_for,
    sign_in,
    start_session,
)
from ..deps import client_address, db, require
from .pages_auth import set_session_cookie

router = APIRouter(prefix="/api/v1", tags=["session"])


class Credentials(BaseModel):
    email: str
    password: str


def _me(principal: Principal) -> dict[str, Any]:
    return {"email": principal.email, "name": principal.name, "role": principal.role,
            "csrf_token": principal.csrf_token}


@router.post("/session", summary="Sign in; returns the CSRF token for later writes")
def start(
    credentials: Credentials, request: Request, session: Annotated[Session, Depends(db)]
) -> Response:
    # a JSON body cannot be sent cross-site without a CORS preflight, which this API refuses
    try:
        user = sign_in(session, credentials.email, credentials.password, client_address(request))
    except TooManyAttempts as refused:
        return JSONResponse({"detail": str(refused)}, status_code=429,
                            headers={"Retry-After": str(refused.retry_after)})
    if user is None:
        return JSONResponse({"detail": "wrong email or password"}, status_code=401)
    token = start_session(session, user)
    principal = principal_for(session, token)
    assert principal is not None
    response = JSONResponse(_me(principal))
    set_session_cookie(response, token)
    return response


@router.delete("/session", summary="Sign out")
def end(
    request: Request,
    session: Annotated[Session, Depends(db)],
    _signed_in: Annotated[Principal, Depends(require("viewer"))],
) -> Response:
    end_session(session, request.cookies.get(SESSION_COOKIE, ""))
    response = JSONResponse({"detail": "signed out"})
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/me", summary="The signed-in user, role and CSRF token")
def me(principal: Annotated[Principal, Depends(require("viewer"))]) -> dict[str, Any]:
    return _me(principal)
