"""Users, roles, argon2 passwords, server-side login sessions and CSRF tokens.

A session cookie carries a random token; the database keeps only its SHA-256, with the
session's CSRF token. Every state-changing request with a session must echo that CSRF token
(form field `csrf_token` or header `X-CSRF-Token`), so another site cannot post on the user's
behalf even where SameSite does not apply.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, delete, select

from .models import ROLES, LoginSession, User, utcnow

SESSION_COOKIE = "candor_session"
LOGIN_CSRF_COOKIE = "candor_login_csrf"  # double-submit token for the login form itself
SESSION_LIFETIME = timedelta(hours=12)
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"

_hasher = PasswordHasher()
# Verified against when the email is unknown, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


class AuthError(Exception):
    """A user-facing reason an account could not be created."""


@dataclass(frozen=True)
class Principal:
    """Who is making a request, detached from any database session."""

    user_id: int
    email: str
    name: str
    role: str
    csrf_token: str

    def can(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


def create_user(session: Session, email: str, name: str, role: str, password: str) -> User:
    email = email.strip().lower()
    if role not in ROLES:
        raise AuthError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    if "@" not in email:
        raise AuthError(f"{email!r} is not an email address")
    if len(password) < 10:
        raise AuthError("the password needs at least 10 characters")
    if session.exec(select(User).where(User.email == email)).first():
        raise AuthError(f"a user {email} already exists")
    user = User(email=email, name=name.strip() or email, role=role,
                password_hash=_hasher.hash(password))
    session.add(user)
    session.commit()
    session.refresh(user)
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    user = session.exec(select(User).where(User.email == email.strip().lower())).first()
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    return user


def start_session(session: Session, user: User) -> str:
    """A new login session for `user`; returns the cookie token."""
    assert user.id is not None
    token = secrets.token_urlsafe(32)
    session.add(LoginSession(token_hash=_digest(token), user_id=user.id,
                             csrf_token=secrets.token_urlsafe(32),
                             expires_at=utcnow() + SESSION_LIFETIME))
    session.commit()
    return token


def end_session(session: Session, token: str) -> None:
    session.exec(delete(LoginSession).where(LoginSession.token_hash == _digest(token)))
    session.commit()


def principal_for(session: Session, token: str | None) -> Principal | None:
    if not token:
        return None
    login = session.get(LoginSession, _digest(token))
    if login is None:
        return None
    if login.expires_at <= utcnow():
        session.delete(login)
        session.commit()
        return None
    user = session.get(User, login.user_id)
    if user is None or user.id is None:
        return None
    return Principal(user.id, user.email, user.name, user.role, login.csrf_token)


def tokens_match(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


def new_token() -> str:
    return secrets.token_urlsafe(32)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
