"""Users, roles, argon2 passwords, server-side login sessions and CSRF tokens.

A session cookie carries a random token; the database keeps only its SHA-256, with the
session's CSRF token. Every state-changing request with a session must echo that CSRF token
(form field `csrf_token` or header `X-CSRF-Token`), so another site cannot post on the user's
behalf even where SameSite does not apply.

Sign-in is throttled in the database (so every app process sees the same count): a few
failures for one account from one address, or many from one address across accounts, and
that address must wait; the password is not even checked meanwhile. Counting per address
keeps an attacker from locking the real user out of their own account.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, delete, select

from .models import ROLES, LoginFailure, LoginSession, User, utcnow

SESSION_COOKIE = "candor_session"
LOGIN_CSRF_COOKIE = "candor_login_csrf"  # double-submit token for the login form itself
SESSION_LIFETIME = timedelta(hours=12)
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
LOGIN_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5  # from one address, within LOGIN_WINDOW
MAX_FAILURES_PER_ADDRESS = 30  # across all accounts, within LOGIN_WINDOW

# argon2id at OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): ~40 ms a sign-in here,
# where the library default (64 MiB, 3 passes, 4 lanes) takes ~220 ms of a 2-core server
# and twenty people signing in at once would stall every page for seconds. Hashes made
# with other parameters still verify and are upgraded at the next sign-in.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
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


class TooManyAttempts(Exception):
    """Sign-in refused without checking the password; try again after `retry_after` s."""

    def __init__(self, retry_after: int) -> None:
        minutes = -(-retry_after // 60)
        super().__init__(f"Too many failed sign-ins: try again in {minutes} minute"
                         f"{'s' if minutes != 1 else ''}.")
        self.retry_after = retry_after


def sign_in(session: Session, email: str, password: str, address: str) -> User | None:
    """`authenticate`, throttled per account and address; raises TooManyAttempts."""
    email = email.strip().lower()
    now = utcnow()
    window_start = now - LOGIN_WINDOW
    blocked_since = max(
        (oldest for oldest in (
            _blocking_failure(session, window_start, MAX_FAILURES_PER_ACCOUNT,
                              LoginFailure.address == address, LoginFailure.email == email),
            _blocking_failure(session, window_start, MAX_FAILURES_PER_ADDRESS,
                              LoginFailure.address == address),
        ) if oldest is not None), default=None)
    if blocked_since is not None:
        raise TooManyAttempts(max(1, int((blocked_since + LOGIN_WINDOW - now).total_seconds())))
    user = authenticate(session, email, password)
    if user is None:
        session.exec(delete(LoginFailure).where(col(LoginFailure.at) < window_start))
        session.add(LoginFailure(email=email, address=address, at=now))
    else:
        session.exec(delete(LoginFailure).where(
            col(LoginFailure.email) == email, col(LoginFailure.address) == address))
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
    session.commit()
    return user


def _blocking_failure(session: Session, since: datetime, limit: int, *where: object
                      ) -> datetime | None:
    """When `limit` or more failures matching `where` happened since `since`, the time of
    the one that has to age out of the window before another attempt is allowed."""
    return session.exec(
        select(LoginFailure.at).where(col(LoginFailure.at) >= since, *where)
        .order_by(col(LoginFailure.at).desc()).offset(limit - 1).limit(1)).first()


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
