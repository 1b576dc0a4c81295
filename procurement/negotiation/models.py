"""A competitive negotiation's or consultation's rounds in the database: the negotiation itself (its panel
check and current round), each supplier's thread with the panel, the changes to the requirements sent to all
remaining suppliers, suppliers set aside, the call for final quotes, the sealed final quotes, the keyholders'
shares released to open them and the opening's record.

Every row is captured by the audit log (monitor.audit.capture); columns named `sealed`, `held_share` and
`receipt` are never copied into it.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trading.extensions import db
from trading.types import Money, UTCDateTime


class Negotiation(db.Model):
    """Started once the responses are opened and the panel passed its check (size, odd, experts' share)."""

    __tablename__ = "gp_negotiations"

    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), primary_key=True)
    round_no: Mapped[int] = mapped_column(sa.Integer, default=1)
    experts: Mapped[int] = mapped_column(sa.Integer)  # the panel as checked at the start
    representatives: Mapped[int] = mapped_column(sa.Integer)
    started_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)


class NegotiationMessage(db.Model):
    """One message of a supplier's thread: from the panel to that supplier or from the supplier to the panel.
    No other supplier ever reads it (GPL 38 (4): the panel negotiates with each supplier separately)."""

    __tablename__ = "gp_negotiation_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)  # the thread
    round_no: Mapped[int] = mapped_column(sa.Integer)
    from_panel: Mapped[bool] = mapped_column()
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(sa.Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    author = relationship("User")


class RequirementChange(db.Model):
    """A change to the technical, service or contract requirements, sent at once to every supplier still in
    the negotiation (GPL 38 (4); O74 Art. 31; C214 Art. 22); `sent_to` lists their organisation ids."""

    __tablename__ = "gp_requirement_changes"
    __table_args__ = (sa.UniqueConstraint("trade_id", "seq", name="uq_gp_requirement_changes_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    seq: Mapped[int] = mapped_column(sa.Integer)
    round_no: Mapped[int] = mapped_column(sa.Integer)
    kind: Mapped[str] = mapped_column(sa.String(16))  # technical | service | contract
    body: Mapped[str] = mapped_column(sa.Text)
    sent_to: Mapped[list] = mapped_column(sa.JSON)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    author = relationship("User")


class SupplierExclusion(db.Model):
    """A supplier the panel set aside (its response does not meet the requirements): no further rounds,
    changes or final quote."""

    __tablename__ = "gp_negotiation_exclusions"
    __table_args__ = (sa.UniqueConstraint("trade_id", "organisation_id", name="uq_gp_negotiation_exclusions"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    reason: Mapped[str] = mapped_column(sa.Text)
    by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    organisation = relationship("Organisation")


class FinalQuoteCall(db.Model):
    """The panel's call for final quotes, with its deadline; the rounds end with it (O74 Art. 32)."""

    __tablename__ = "gp_final_quote_calls"

    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), primary_key=True)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    invited: Mapped[list] = mapped_column(sa.JSON)  # organisation ids of the suppliers still in
    called_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class FinalQuote(db.Model):
    """One sealed final quote of a supplier (the PRSB envelope, to the trade's opening key; bidder field
    FINAL-<credit code>, version = seq); the last one before the deadline counts. `price` is filled only at
    the opening."""

    __tablename__ = "gp_final_quotes"
    __table_args__ = (sa.UniqueConstraint("trade_id", "organisation_id", "seq", name="uq_gp_final_quotes_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    seq: Mapped[int] = mapped_column(sa.Integer)
    sealed: Mapped[bytes] = mapped_column(sa.LargeBinary)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    size: Mapped[int] = mapped_column(sa.Integer)
    submitted_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    receipt: Mapped[str] = mapped_column(sa.Text)
    replaced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    price: Mapped[Decimal | None] = mapped_column(Money)

    organisation = relationship("Organisation")


class FinalRelease(db.Model):
    """A keyholder's share released to open the final quotes, held sealed until the opening erases it."""

    __tablename__ = "gp_final_releases"
    __table_args__ = (sa.UniqueConstraint("trade_id", "keyholder_id", name="uq_gp_final_releases"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    keyholder_id: Mapped[int] = mapped_column(sa.ForeignKey("keyholders.id"))
    released_at: Mapped[datetime] = mapped_column(UTCDateTime)
    held_share: Mapped[bytes | None] = mapped_column(sa.LargeBinary)

    keyholder = relationship("Keyholder")


class FinalOpening(db.Model):
    """The final quotes as opened: `record` is the canonical JSON (each supplier's price and envelope hash, the
    shares released, who opened, when), `record_sha256` its hash."""

    __tablename__ = "gp_final_openings"

    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), primary_key=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    record: Mapped[str] = mapped_column(sa.Text)
    record_sha256: Mapped[str] = mapped_column(sa.String(64))
