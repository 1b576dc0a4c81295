"""Social supervisors (社会监督员) in the database: the registry and its status history, the draws per
trade, who was drawn (and who stepped aside), and the sign-offs that gate a trade's stages.

Every row here is also captured by the audit log; the semantic acts (a draw, a recusal, a
sign-off) are in addition logged as entries of their own, whose index the rows keep.
"""
from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trading.clock import now
from trading.extensions import db
from trading.signing.models import SignedAct
from trading.types import UTCDateTime


class SupervisorStatus(str, enum.Enum):
    ACTIVE = "active"
    SUSPENDED = "suspended"  # temporarily not drawn (e.g. under review); may be reinstated
    EXPIRED = "expired"  # the term ended without renewal
    REVOKED = "revoked"  # appointment withdrawn for good

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])


STATUS_LABELS = {
    SupervisorStatus.ACTIVE: _l("Active"),
    SupervisorStatus.SUSPENDED: _l("Suspended"),
    SupervisorStatus.EXPIRED: _l("Term expired"),
    SupervisorStatus.REVOKED: _l("Revoked"),
}


class SignOffStage(str, enum.Enum):
    """The stages a supervisor's signature gates, each named by the document signed."""

    OPENING_RECORD = "opening_record"
    EVALUATION_REPORT = "evaluation_report"
    AWARD = "award"

    @property
    def label(self) -> str:
        return str(STAGE_LABELS[self])


STAGE_LABELS = {
    SignOffStage.OPENING_RECORD: _l("Opening record"),
    SignOffStage.EVALUATION_REPORT: _l("Evaluation report"),
    SignOffStage.AWARD: _l("Award"),
}


class SignOffDecision(str, enum.Enum):
    SIGNED = "signed"
    DISSENT = "dissent"  # signed with a recorded dissent: the stage may advance, the dissent stays

    @property
    def label(self) -> str:
        return str(_l("Signed") if self is SignOffDecision.SIGNED else _l("Dissent recorded"))


class SocialSupervisor(db.Model):
    """A citizen appointed as social supervisor at a centre: the registry entry behind the certificate."""

    __tablename__ = "social_supervisors"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    centre_id: Mapped[int] = mapped_column(sa.ForeignKey("centres.id"), index=True)
    recommended_by: Mapped[str] = mapped_column(sa.String(200))  # the recommending organisation
    agreement_ref: Mapped[str] = mapped_column(sa.String(100))  # appointment agreement number
    agreement_date: Mapped[date] = mapped_column(sa.Date)
    agreement_text: Mapped[str] = mapped_column(sa.Text, default="")
    rights_duties: Mapped[str] = mapped_column(sa.Text)
    term_start: Mapped[date] = mapped_column(sa.Date)
    term_end: Mapped[date] = mapped_column(sa.Date)  # the last day of the term, inclusive
    renewals: Mapped[int] = mapped_column(default=0)
    certificate_no: Mapped[str] = mapped_column(sa.String(32), unique=True)
    status: Mapped[SupervisorStatus] = mapped_column(
        sa.Enum(SupervisorStatus, native_enum=False, length=16), default=SupervisorStatus.ACTIVE, index=True)
    status_reason: Mapped[str | None] = mapped_column(sa.Text)
    registered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    entry_seq: Mapped[int | None] = mapped_column()  # the audit entry of the registration

    user = relationship("User", foreign_keys=[user_id], lazy="joined")
    centre = relationship("Centre", lazy="joined")
    history: Mapped[list[SupervisorStatusChange]] = relationship(
        back_populates="supervisor", order_by="SupervisorStatusChange.id", cascade="all, delete-orphan")

    def serves_on(self, day: date) -> bool:
        """May be drawn on `day`: active and inside the term."""
        return self.status is SupervisorStatus.ACTIVE and self.term_start <= day <= self.term_end


class SupervisorStatusChange(db.Model):
    """One change of a registry entry (registered, renewed, suspended, reinstated, revoked, expired)."""

    __tablename__ = "social_supervisor_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    supervisor_id: Mapped[int] = mapped_column(sa.ForeignKey("social_supervisors.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(16))
    from_status: Mapped[SupervisorStatus | None] = mapped_column(
        sa.Enum(SupervisorStatus, native_enum=False, length=16))
    to_status: Mapped[SupervisorStatus] = mapped_column(sa.Enum(SupervisorStatus, native_enum=False, length=16))
    term_end: Mapped[date | None] = mapped_column(sa.Date)
    reason: Mapped[str | None] = mapped_column(sa.Text)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    supervisor: Mapped[SocialSupervisor] = relationship(back_populates="history")
    actor = relationship("User")

    @property
    def action_label(self) -> str:
        return str(CHANGE_LABELS.get(self.action, self.action))


CHANGE_LABELS = {"register": _l("Registered"), "renew": _l("Renewed"), "suspend": _l("Suspended"),
                 "reinstate": _l("Reinstated"), "revoke": _l("Revoked"), "expire": _l("Term ended")}


class SupervisorDraw(db.Model):
    """One round of the verifiable draw for a trade (docs/draws.md): fixed first (`fixed_entry_seq`: the
    candidates and the count), then sealed by a beacon checkpoint signed after every commitment
    (`checkpoint_*`), then drawn (`entry_seq`: seed, order, selection). `order` is the whole candidate
    list in draw order: the first `count` serve, the rest replace in turn whoever steps aside."""

    __tablename__ = "supervisor_draws"
    __table_args__ = (sa.UniqueConstraint("trade_id", "round", name="uq_supervisor_draws_round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    round: Mapped[int] = mapped_column()
    trigger: Mapped[str] = mapped_column(sa.String(16))  # publish, manual, redraw
    status: Mapped[str] = mapped_column(sa.String(16), default="drawn")  # fixed, sealed, drawn
    fixed_entry_seq: Mapped[int | None] = mapped_column()
    commit_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reveal_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sealed_entry_seq: Mapped[int | None] = mapped_column()
    checkpoint_id: Mapped[int | None] = mapped_column(sa.ForeignKey("audit_checkpoints.id"))
    checkpoint_size: Mapped[int | None] = mapped_column(sa.BigInteger)
    checkpoint_root: Mapped[str | None] = mapped_column(sa.String(64))
    seed: Mapped[str | None] = mapped_column(sa.String(64))
    candidates: Mapped[list] = mapped_column(sa.JSON)  # registry ids, ascending, fixed with the round
    count: Mapped[int] = mapped_column()
    order: Mapped[list | None] = mapped_column(sa.JSON)  # registry ids in draw order
    selected: Mapped[list] = mapped_column(sa.JSON)  # registry ids, in draw order
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    entry_seq: Mapped[int | None] = mapped_column()

    trade = relationship("Trade")
    contributions: Mapped[list[DrawContribution]] = relationship(
        back_populates="draw", order_by="DrawContribution.commitment")


class DrawContribution(db.Model):
    """A party's secret contribution to a round's seed: committed (SHA-256 of 32 random bytes) before
    the beacon, revealed after it; a commitment never revealed is withheld and left out of the seed."""

    __tablename__ = "supervisor_draw_contributions"
    __table_args__ = (sa.UniqueConstraint("draw_id", "user_id", name="uq_supervisor_draw_contributions_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draw_id: Mapped[int] = mapped_column(sa.ForeignKey("supervisor_draws.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    commitment: Mapped[str] = mapped_column(sa.String(64))
    committed_seq: Mapped[int] = mapped_column()
    committed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    reveal: Mapped[str | None] = mapped_column(sa.String(64))
    revealed_seq: Mapped[int | None] = mapped_column()
    revealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    draw: Mapped[SupervisorDraw] = relationship(back_populates="contributions")
    user = relationship("User")


class DrawnSupervisor(db.Model):
    """A supervisor drawn for a trade; `recused_at` set when they stepped aside (回避)."""

    __tablename__ = "drawn_supervisors"
    __table_args__ = (sa.UniqueConstraint("trade_id", "supervisor_id", name="uq_drawn_supervisors_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    supervisor_id: Mapped[int] = mapped_column(sa.ForeignKey("social_supervisors.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    draw_id: Mapped[int] = mapped_column(sa.ForeignKey("supervisor_draws.id"))
    position: Mapped[int | None] = mapped_column()  # in the round's order: below its count drawn, above it a replacement
    entry_seq: Mapped[int | None] = mapped_column()  # the draw or replacement entry that named them
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    recused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recusal_kind: Mapped[str | None] = mapped_column(sa.String(16))  # declared, decided, registry, ineligible
    recusal_reason: Mapped[str | None] = mapped_column(sa.Text)
    recused_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    recusal_entry_seq: Mapped[int | None] = mapped_column()

    supervisor: Mapped[SocialSupervisor] = relationship(lazy="joined")
    user = relationship("User", foreign_keys=[user_id])
    recused_by = relationship("User", foreign_keys=[recused_by_id])
    draw: Mapped[SupervisorDraw] = relationship()

    @property
    def serving(self) -> bool:
        return self.recused_at is None


class SignOff(SignedAct, db.Model):
    """A drawn supervisor's signature (or dissent) on one stage of a trade, once per supervisor and
    stage, bound to the hash of what they signed; `entry_seq` is its audit entry."""

    __tablename__ = "supervisor_signoffs"
    __table_args__ = (sa.UniqueConstraint("trade_id", "stage", "user_id", name="uq_supervisor_signoffs_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    stage: Mapped[SignOffStage] = mapped_column(sa.Enum(SignOffStage, native_enum=False, length=32))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    supervisor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("social_supervisors.id"))
    decision: Mapped[SignOffDecision] = mapped_column(sa.Enum(SignOffDecision, native_enum=False, length=16))
    reason: Mapped[str | None] = mapped_column(sa.Text)  # the dissent
    subject_kind: Mapped[str] = mapped_column(sa.String(32))  # opening_record | audit_entry | <document kind>
    subject_hash: Mapped[str] = mapped_column(sa.String(64))
    subject_index: Mapped[int | None] = mapped_column(sa.BigInteger)  # the audit entry, for audit_entry subjects
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    entry_seq: Mapped[int] = mapped_column()

    user = relationship("User")
