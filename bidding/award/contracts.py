"""The contract (合同, Law 46; Reg 57-58): recorded within the rule set's days of the award notice with
its amount (the winning bid's price: the contract may not depart from the bid), a performance bond of at
most the rule set's share, and the signed document, kept and hashed; then published. Bid securities are
refunded to everyone within days after it (Reg 57), through bidding.deposits."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import BinaryIO

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, gettext as _

from bidding.award import rules
from bidding.award.decision import decision_of
from bidding.award.models import Contract
from bidding.award.objections import PROCEDURE
from bidding.award.signals import award_changed
from bidding.deposits.models import BidDeposit
from bidding.deposits.services import deposits_of, settle_deposit
from trading import texts
from trading.accounts.models import User
from trading.blobs import BlobRefused, blob_store
from trading.clock import now
from trading.errors import IllegalMove, InvalidInput
from trading.extensions import db
from trading.notices.models import Notice, NoticeKind
from trading.notices.services import ALLOWED_TYPES, SAFE_NAME
from trading.pdf import yuan
from trading.permissions import require
from trading.texts import N_
from trading.trades.flows import TradeState
from trading.trades.lifecycle import transition
from trading.trades.models import Trade
from trading.types import to_money


def contract_of(trade: Trade) -> Contract | None:
    return db.session.scalar(sa.select(Contract).where(Contract.trade_id == trade.id))


def _money(value, field: str, errors: dict) -> Decimal | None:
    try:
        amount = to_money(value)
    except (TypeError, ValueError):
        errors[field] = [_("must be an amount such as 1250000.00")]
        return None
    if amount < 0:
        errors[field] = [_("may not be negative")]
        return None
    return amount


def record_contract(actor: User, trade: Trade, amount, performance_bond, signed_on: datetime | None,
                    filename: str | None, content_type: str | None, stream: BinaryIO | None) -> Contract:
    """Check every field, keep the signed document, record the contract move, publish the contract."""
    require("award.contract", trade, user=actor)
    decision = decision_of(trade)
    if decision is None or trade.state is not TradeState.AWARDED:
        raise IllegalMove(_("A contract is recorded for an awarded trade."), code="not_awarded")
    errors: dict[str, list[str]] = {}
    amount = _money(amount, "amount", errors)
    bond = _money(performance_bond, "performance_bond", errors)
    if amount is not None and amount != decision.price:
        errors["amount"] = [_("must be the winning bid's price, %(price)s: the contract may not depart from the "
                              "bid (%(source)s)", price=yuan(decision.price), source=rules.source(trade, "contract_within")
                              or "Law 46")]
    share = rules.bond_share(trade)
    if amount is not None and bond is not None and "amount" not in errors and bond * 100 > amount * share:
        errors["performance_bond"] = [_("may be at most %(share)s%% of the contract amount, %(max)s (%(source)s)",
                                        share=share, max=yuan((amount * share / 100).quantize(Decimal("0.01"))),
                                        source=rules.source(trade, "performance_bond_max") or "Reg 58")]
    at = now()
    if signed_on is None:
        errors["signed_on"] = [_("say when the contract was signed")]
    elif signed_on > at:
        errors["signed_on"] = [_("may not be in the future")]
    elif signed_on < decision.decided_at:
        errors["signed_on"] = [_("may not be before the award notice")]
    name = SAFE_NAME.sub("_", (filename or "").strip()).strip("._ ")[:200]
    kind = (content_type or "application/octet-stream").split(";")[0].strip().lower()
    if stream is None or not name:
        errors["document"] = [_("attach the signed contract")]
    elif kind not in ALLOWED_TYPES:
        errors["document"] = [_("file type %(t)s is not accepted (PDF, Word, Excel, ZIP, text)", t=kind)]
    if errors:
        raise InvalidInput(errors)
    try:  # the blob is kept only once every field is right; an orphan is swept if the move below fails
        digest, size = blob_store().put(stream, max_size=current_app.config["MAX_CONTENT_LENGTH"], min_size=1)
    except BlobRefused as exc:
        message = _("the file is empty") if exc.reason == "empty" else _("the file is larger than the platform accepts")
        raise InvalidInput({"document": [message]}) from None
    contract = Contract(trade_id=trade.id, organisation_id=decision.organisation_id, amount=amount,
                        performance_bond=bond, signed_on=signed_on, filename=name, content_type=kind, size=size,
                        sha256=digest, recorded_at=at, recorded_by_id=actor.id)
    db.session.add(contract)
    db.session.flush()
    transition(trade, "contract", actor, at=at, by=PROCEDURE)
    contract.notice_id = publish_contract(trade, contract).id
    award_changed.send(trade, what="contract", actor=actor)
    return contract


def publish_contract(trade: Trade, contract: Contract) -> Notice:
    message = {"title": texts.message(N_("Contract: %(title)s"), title=trade.title),
               "body": [texts.message(N_("Contractor: %(bidder)s"), bidder=texts.typed(contract.organisation.name)),
                        texts.message(N_("Contract amount: %(amount)s"), amount=yuan(contract.amount)),
                        texts.message(N_("Performance bond: %(bond)s"), bond=yuan(contract.performance_bond)),
                        texts.message(N_("Signed on %(at)s; document SHA-256 %(sha)s."), at=texts.at(contract.signed_on),
                                      sha=contract.sha256)]}
    with force_locale("zh_CN"):
        title, body = texts.render(message["title"]), texts.render(message["body"])
    notice = Notice(trade=trade, kind=NoticeKind.CONTRACT, title=title[:250], body=body,
                    published_at=contract.recorded_at, message=message)
    db.session.add(notice)
    db.session.flush()
    return notice


def refund_deposits(actor: User, trade: Trade) -> list[BidDeposit]:
    """Refund every deposit not yet settled (Reg 57: all within 5 days after the contract); e-supervision
    cards each one refunded late or still held."""
    require("deposits.manage", trade, user=actor)
    if contract_of(trade) is None:
        raise IllegalMove(_("Deposits are refunded to everyone after the contract is recorded."),
                          code="no_contract")
    refunded = []
    for deposit in deposits_of(trade):
        if deposit.settled_at is None:
            refunded.append(settle_deposit(actor, deposit, "refund",
                                           _("refunded after the contract (Tendering Regulation Art. 57)")))
    return refunded


def stored_contracts() -> list[str]:
    """Digests of the signed contracts (the blob sweep spares them)."""
    return list(db.session.scalars(sa.select(Contract.sha256).distinct()))
