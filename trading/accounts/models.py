"""Accounts: users, organisations, role grants, declared relations, API tokens, login attempts."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trading.accounts.roles import Branch, Role
from trading.clock import now
from trading.extensions import db
from trading.types import UTCDateTime


class OrgKind(str, enum.Enum):
    TENDERER = "tenderer"  # tenderer / purchaser / transferor
    BIDDER = "bidder"  # bidder, supplier or buyer company
    SUPERVISORY_BODY = "supervisory_body"
    MANAGEMENT_OFFICE = "management_office"
    CENTRE = "centre"

    @property
    def label(self) -> str:
        return str(ORG_KIND_LABELS[self])

    @property
    def needs_credit_code(self) -> bool:
        return self in (OrgKind.TENDERER, OrgKind.BIDDER)


ORG_KIND_LABELS = {
    OrgKind.TENDERER: _l("Tenderer / purchaser / transferor"),
    OrgKind.BIDDER: _l("Bidder company"),
    OrgKind.SUPERVISORY_BODY: _l("Supervising body"),
    OrgKind.MANAGEMENT_OFFICE: _l("Management office"),
    OrgKind.CENTRE: _l("Trading centre"),
}


class Organisation(db.Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    kind: Mapped[OrgKind] = mapped_column(sa.Enum(OrgKind, native_enum=False, length=32))
    credit_code: Mapped[str | None] = mapped_column(sa.String(18), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    members: Mapped[list[User]] = relationship(back_populates="organisation")


class HoldsGrants:
    """What a person may do follows from their grants (`self.grants`: items with `role` and
    `centre_id`). Shared by the User row and the `Caller` a bearer token names, so both answer alike."""

    __slots__ = ()

    def roles_at(self, centre_id: int | None) -> set[Role]:
        """Roles held at a centre, plus the platform-wide outside roles."""
        return {g.role for g in self.grants if g.centre_id == centre_id or g.centre_id is None}

    def has_role(self, role: Role, centre_id: int | None = None) -> bool:
        return any(g.role is role and (centre_id is None or g.centre_id in (centre_id, None)) for g in self.grants)

    def roles(self) -> list[Role]:
        """Each role the person holds, once (a grant per centre repeats it), in the roles' own order."""
        held = {g.role for g in self.grants}
        return [role for role in Role if role in held]

    def branches(self) -> set[Branch]:
        return {g.role.branch for g in self.grants}

    def centres_for(self, role: Role) -> set[int]:
        return {g.centre_id for g in self.grants if g.role is role and g.centre_id is not None}


class User(HoldsGrants, UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(120))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"))
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str | None] = mapped_column(sa.String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    organisation: Mapped[Organisation | None] = relationship(back_populates="members")
    grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active


class RoleGrant(db.Model):
    """A role held by a user, at a centre for branch roles (NULL centre: platform-wide outside role)."""

    __tablename__ = "role_grants"
    __table_args__ = (sa.UniqueConstraint("user_id", "role", "centre_id", name="uq_role_grants_user_role_centre"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(sa.Enum(Role, native_enum=False, length=32))
    centre_id: Mapped[int | None] = mapped_column(sa.ForeignKey("centres.id"))

    user: Mapped[User] = relationship(back_populates="grants")


class DeclaredRelation(db.Model):
    """A person's declared tie to an organisation (relative, shareholder, former employee...)."""

    __tablename__ = "declared_relations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    nature: Mapped[str] = mapped_column(sa.String(200))
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class ApiToken(db.Model):
    """A bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User] = relationship()


class LoginAttempt(db.Model):
    """Failed logins, kept to throttle guessing per account and per address."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), index=True)
    remote_addr: Mapped[str] = mapped_column(sa.String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)


# ---- the caller a bearer token names ------------------------------------------------------------

class GrantFacts(NamedTuple):
    role: Role
    centre_id: int | None


class OrganisationFacts(NamedTuple):
    """The caller's organisation as read with the token (no row loaded)."""

    id: int
    name: str
    kind: OrgKind
    credit_code: str | None


class Caller(HoldsGrants):
    """The active user a valid bearer token names, read in one statement with the token (no ORM
    row): their id, username, language, organisation and grants, as they were when the request's
    token was checked. An API route that needs no more of its caller than this (the bid upload)
    takes it instead of the User row (trading.api.takes_caller); every other route gets the row.
    Immutable, so the process's bid writer thread may read it too."""

    __slots__ = ("id", "username", "locale", "organisation_id", "organisation", "grants")
    is_authenticated = True  # Flask-Login's interface, as UserMixin gives it (an inactive user is no caller)
    is_active = True
    is_anonymous = False
    active = True

    def __init__(self, id: int, username: str, locale: str | None, organisation: OrganisationFacts | None,
                 grants: tuple[GrantFacts, ...]) -> None:
        for name, value in (("id", id), ("username", username), ("locale", locale),
                            ("organisation_id", organisation.id if organisation else None),
                            ("organisation", organisation), ("grants", grants)):
            object.__setattr__(self, name, value)

    def __setattr__(self, name, value):
        raise AttributeError(f"a Caller is read-only ({name})")

    @classmethod
    def of(cls, user: User | Caller) -> Caller:
        """The Caller of a user at hand (a Caller is its own): the same plain values, read here from the
        row (its organisation and grants), for a thread that must not touch the row of another thread's
        session (the live round's bid writer)."""
        if isinstance(user, Caller):
            return user
        org = user.organisation
        return cls(user.id, user.username, user.locale,
                   OrganisationFacts(org.id, org.name, org.kind, org.credit_code) if org is not None else None,
                   tuple(GrantFacts(g.role, g.centre_id) for g in user.grants))

    def get_id(self) -> str:
        return str(self.id)

    def __repr__(self) -> str:
        return f"<Caller {self.id} {self.username}>"
