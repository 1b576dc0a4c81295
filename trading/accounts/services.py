"""Account operations: users and organisations, password checks with throttling, API tokens."""
from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _, lazy_gettext as _l

from trading.accounts import policy, throttle
from trading.accounts.models import (ApiToken, Caller, GrantFacts, LoginAttempt, Organisation,
                                     OrganisationFacts, OrgKind, RoleGrant, User)
from trading.accounts.roles import Role
from trading.accounts.uscc import USCCError, validate_uscc
from trading.clock import now
from trading.errors import InvalidInput, Throttled  # noqa: F401  (Throttled: callers import it here)
from trading.extensions import db

_HASHERS: dict[tuple, PasswordHasher] = {}


def _hasher() -> PasswordHasher:
    """Argon2id with the library's defaults, or the cost set in PASSWORD_HASH_PARAMS (tests lower it)."""
    params = tuple(sorted((current_app.config.get("PASSWORD_HASH_PARAMS") or {}).items()))
    if params not in _HASHERS:
        _HASHERS[params] = PasswordHasher(**dict(params))
    return _HASHERS[params]

USCC_MESSAGES = {
    "length": _l("must be exactly 18 characters"),
    "charset": _l("only digits and capital letters other than I, O, S, V and Z are allowed"),
    "authority": _l("the first character is not a registration authority code"),
    "division": _l("characters 3 to 8 must be an administrative division code (digits)"),
    "check": _l("the check character does not match (GB 32100-2015)"),
}
_DUMMIES: dict[int, str] = {}


def _dummy_hash() -> str:
    """A hash to verify against when the user does not exist, so timing does not reveal usernames."""
    hasher = _hasher()
    if id(hasher) not in _DUMMIES:
        _DUMMIES[id(hasher)] = hasher.hash("not-a-real-password")
    return _DUMMIES[id(hasher)]


def hash_password(password: str) -> str:
    if len(password) < 8:
        raise InvalidInput({"password": [_("at least 8 characters")]})
    return _hasher().hash(password)


def create_organisation(name: str, kind: OrgKind, credit_code: str | None = None) -> Organisation:
    errors: dict[str, list[str]] = {}
    if not (name or "").strip():
        errors["name"] = [_("a name is required")]
    code = None
    if kind.needs_credit_code or credit_code:
        try:
            code = validate_uscc(credit_code or "")
        except USCCError as exc:
            errors["credit_code"] = [_("unified social credit code: %(why)s", why=str(USCC_MESSAGES[exc.rule]))]
    if code and db.session.scalar(sa.select(Organisation.id).where(Organisation.credit_code == code)):
        errors["credit_code"] = [_("an organisation with this unified social credit code is already registered")]
    if (name or "").strip() and db.session.scalar(sa.select(Organisation.id).where(Organisation.name == name.strip())):
        errors["name"] = [_("an organisation with this name is already registered")]
    if errors:
        raise InvalidInput(errors)
    org = Organisation(name=name.strip(), kind=kind, credit_code=code)
    db.session.add(org)
    db.session.flush()
    return org


def create_user(username: str, password: str, display_name: str, organisation: Organisation | None = None,
                roles: list[tuple[Role, int | None]] = (), email: str | None = None) -> User:
    user = User(username=username.strip().lower(), display_name=display_name, email=email,
                password_hash=hash_password(password), organisation=organisation)
    db.session.add(user)
    for role, centre_id in roles:
        policy.grant(user, role, centre_id)
    db.session.flush()
    return user


def authenticate(username: str, password: str, remote_addr: str) -> User | None:
    """Check a password; after too many recent failures from this address, refuse to try.

    Counting per account alone would let anyone lock a user out from elsewhere; the address limit
    (LOGIN_MAX_FAILURES_PER_ADDRESS) stops one address from guessing across many accounts."""
    username = (username or "").strip().lower()
    remote_addr = remote_addr or "-"
    window = current_app.config["LOGIN_WINDOW_SECONDS"]
    pair = throttle.recent(remote_addr, window, username=username)
    address = throttle.recent(remote_addr, window)
    for (count, oldest), limit in ((pair, current_app.config["LOGIN_MAX_FAILURES"]),
                                   (address, current_app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"])):
        if count >= limit:
            raise Throttled(_("Too many failed logins. Try again in %(m)d minutes.", m=window // 60),
                            retry_after=throttle.retry_after(oldest, window))
    user = db.session.scalar(sa.select(User).where(User.username == username))
    try:
        _hasher().verify(user.password_hash if user else _dummy_hash(), password or "")
        ok = user is not None and user.active
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        db.session.add(LoginAttempt(username=username[:64], remote_addr=remote_addr[:64], at=now()))
        db.session.commit()
        return None
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = _hasher().hash(password)
    db.session.execute(sa.delete(LoginAttempt).where(LoginAttempt.username == username,
                                                     LoginAttempt.remote_addr == remote_addr[:64]))
    db.session.commit()
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User) -> tuple[str, ApiToken]:
    token = secrets.token_urlsafe(32)
    row = ApiToken(user=user, token_hash=_digest(token), created_at=now(),
                   expires_at=now() + timedelta(hours=current_app.config["API_TOKEN_HOURS"]))
    db.session.add(row)
    db.session.flush()
    return token, row


@functools.cache
def _token_query() -> sa.Select:
    """One query: the token, its user, the user's grants and organisation (every API request asks).
    Built once: building the statement and its loader options cost as much as running it."""
    return (sa.select(ApiToken).where(ApiToken.token_hash == sa.bindparam("token_hash"))
            .options(joinedload(ApiToken.user).options(joinedload(User.grants), joinedload(User.organisation))))


def _token_valid(revoked: bool, expires_at, active: bool) -> bool:
    """The one rule for a bearer token, whichever way it was read: not revoked, not expired, and its
    user still active. Nothing of it is remembered between requests: a revocation, a deactivation or a
    changed grant counts from the next request on, in every process and on every host."""
    return not revoked and expires_at > now() and active


def user_for_token(token: str) -> User | None:
    row = db.session.execute(_token_query(), {"token_hash": _digest(token)}).unique().scalar_one_or_none()
    if row is None or not _token_valid(row.revoked, row.expires_at, row.user.active):
        return None
    return row.user


@functools.cache
def _caller_query() -> sa.Select:
    """The token with what a Caller holds of its user, as plain columns: one row per grant (one row
    with NULL role for a user without grants). Built once, after the tables are defined."""
    tokens, users = ApiToken.__table__, User.__table__
    orgs, grants = Organisation.__table__, RoleGrant.__table__
    return (sa.select(tokens.c.revoked, tokens.c.expires_at, users.c.id, users.c.username, users.c.active,
                      users.c.locale, orgs.c.id.label("org_id"), orgs.c.name.label("org_name"), orgs.c.kind,
                      orgs.c.credit_code, grants.c.role, grants.c.centre_id)
            .select_from(tokens.join(users, users.c.id == tokens.c.user_id)
                         .outerjoin(orgs, orgs.c.id == users.c.organisation_id)
                         .outerjoin(grants, grants.c.user_id == users.c.id))
            .where(tokens.c.token_hash == sa.bindparam("token_hash"))
            .order_by(grants.c.id))


def caller_for_token(token: str) -> Caller | None:
    """The Caller a bearer token names (None: unknown, revoked, expired, or its user deactivated),
    read in one statement with no ORM row: the same rule as `user_for_token`, at a fraction of its
    cost (the upload of a sealed bid checks a token per request, under load)."""
    rows = db.session.execute(_caller_query(), {"token_hash": _digest(token)}).all()
    if not rows:
        return None
    first = rows[0]
    if not _token_valid(first.revoked, first.expires_at, first.active):
        return None
    org = (OrganisationFacts(first.org_id, first.org_name, first.kind, first.credit_code)
           if first.org_id is not None else None)
    grants = tuple(GrantFacts(row.role, row.centre_id) for row in rows if row.role is not None)
    return Caller(first.id, first.username, first.locale, org, grants)


def revoke_token(token: str) -> bool:
    row = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if row is None:
        return False
    row.revoked = True
    return True
