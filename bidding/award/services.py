"""The award's state changes, in one place for its pages and API (each lives in its own module), and
what the app factory installs: the `publicize` move publishes the candidates; the award, the contract
and the resumption after an objection belong to this procedure on a trade whose candidates it published."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

import bidding.award.permissions  # noqa: F401  (registers the award permissions)
from bidding.award.candidates import current_list, in_publicity, open_objections, paused_for_objection, \
    publish_candidates
from bidding.award.complaints import complaint_of, complaints, complaints_by, decide_complaint, file_complaint, \
    rule_complaint
from bidding.award.contracts import contract_of, record_contract, refund_deposits, stored_contracts
from bidding.award.decision import (AwardRefusal, PassOver, award, award_refusal, decision_of, disqualifications,
                                    letter_of, letters, report_award, report_of)
from bidding.award.models import AwardDecision, CandidateList
from bidding.award.objections import PROCEDURE, answer_objection, objection_of, objections, objections_by, \
    raise_objection
from trading.extensions import db
from trading.trades.flows import Move, TradeState
from trading.trades.models import Trade
from trading.trades.reserved import Procedure

__all__ = ["PassOver", "answer_objection", "award", "complaint_of", "complaints", "complaints_by", "contract_of",
           "current_list", "decide_complaint", "decision_of", "disqualifications", "file_complaint", "in_publicity",
           "install", "letter_of", "letters", "objection_of", "objections", "objections_by", "open_objections",
           "raise_objection", "record_contract", "refund_deposits", "report_award", "report_of", "rule_complaint",
           "stored_contracts"]

AWARD = Procedure(PROCEDURE, _l("the award procedure"), _l("Use the trade's award page."))


def reserved_to_award(trade: Trade, move: Move) -> Procedure | None:
    """On a trade whose candidates the platform published: the award and the contract are made with
    their records (winner, letters, contract), and a pause for an objection ends with its answer."""
    if move.name == "award" or (move.name == "resume" and trade.state is TradeState.SUSPENDED):
        if move.name == "resume" and not paused_for_objection(trade):
            return None
        has_list = db.session.scalar(sa.select(CandidateList.id).where(CandidateList.trade_id == trade.id).limit(1))
        return AWARD if has_list is not None else None
    if move.name == "contract":
        decided = db.session.scalar(sa.select(AwardDecision.id).where(AwardDecision.trade_id == trade.id))
        return AWARD if decided is not None else None
    return None


def install() -> None:
    """Called once by the app factory."""
    from trading.trades.lifecycle import after_move
    from trading.trades.reserved import reserve

    after_move("publicize")(publish_candidates)
    reserve(reserved_to_award)
