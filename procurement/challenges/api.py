"""Challenges API (on the procurement API blueprint): the published answers, a trade's filings as the caller
may read them, filing, answering or deciding, and a filing's suspension (/api/v1/...)."""
from __future__ import annotations

from flask import abort, jsonify
from flask_babel import gettext as _
from flask_login import current_user

from procurement.blueprints import api_bp as bp
from procurement.challenges import services
from procurement.challenges.models import Filing
from procurement.challenges.schemas import (FilingAnswerSchema, FilingCreateSchema, FilingSchema, PublicFilingSchema,
                                            FilingSuspensionSchema, dump_for)
from trading.api import json_body, trade_or_404
from trading.api.openapi import doc
from trading.extensions import db
from trading.permissions import NotAuthenticated, can, require
from trading.trades.models import Trade


def _trade(trade_id: int) -> Trade:
    """The procurement trade, or 404 to whoever may not read its page (401 first for the anonymous)."""
    trade = trade_or_404(trade_id)
    if not can(current_user, "procurement.challenges.read", trade):
        if services.is_procurement(trade) and not current_user.is_authenticated:
            raise NotAuthenticated(_("Please log in to continue."))
        abort(404)
    return trade


def _answerer(trade: Trade) -> None:
    """Before reading the body: one who answers (the purchaser, the staff) or decides (the finance department);
    the service then checks the permission the filing's kind needs."""
    if not (can(current_user, "procurement.filing.answer", trade)
            or can(current_user, "procurement.complaint.decide", trade)):
        require("procurement.filing.answer", trade)


def _filing(trade: Trade, filing_id: int) -> Filing:
    filing = services.filing_of(trade, filing_id)
    if filing is None:
        abort(404)
    return filing


@bp.get("/procurement/challenges")
@doc("Published answers to questions and challenges and decisions on complaints of public procurement trades, "
     "newest first; the filer is never named", None, PublicFilingSchema(many=True), auth=False)
def procurement_challenges_published():
    return jsonify(PublicFilingSchema(many=True).dump(services.published()))


@bp.get("/trades/<int:trade_id>/challenges")
@doc("A procurement trade's questions, challenges and complaints as the caller may read them: all of them for "
     "the purchaser and the centre's branches (the filer named or a pseudonym, as bidders are), one's own, and "
     "the published answers for anyone", None, FilingSchema(many=True), auth=False)
def procurement_trade_challenges(trade_id: int):
    trade = _trade(trade_id)
    return jsonify(dump_for(current_user, trade, services.filings_for(current_user, trade)))


@bp.post("/trades/<int:trade_id>/challenges")
@doc("A supplier files a question (any supplier), a challenge (one that obtained the documents, or bid; within 7 "
     "working days of knowing, GPL 52, GPR 53) or a complaint on its challenge (within 15 working days after the "
     "answer or its period, GPL 55): 409 `too_late` naming the rule and the last day, 403 `no_standing`",
     FilingCreateSchema, FilingSchema, 201)
def procurement_challenge_file(trade_id: int):
    trade = trade_or_404(trade_id)
    require("procurement.filing.file", trade)
    filing = services.file(current_user, trade, FilingCreateSchema().load(json_body()))
    db.session.commit()
    return jsonify(dump_for(current_user, trade, [filing])[0]), 201


@bp.post("/trades/<int:trade_id>/challenges/<int:filing_id>/answer")
@doc("Answer a question or a challenge (the purchaser or the centre's staff; a challenge is upheld or dismissed), "
     "or decide a complaint (the centre's administrative supervisors as the finance department): published at "
     "once, and the procurement resumes if this filing suspended it", FilingAnswerSchema, FilingSchema)
def procurement_challenge_answer(trade_id: int, filing_id: int):
    trade = trade_or_404(trade_id)
    _answerer(trade)
    filing = _filing(trade, filing_id)
    data = FilingAnswerSchema().load(json_body())
    services.answer(current_user, filing, data["answer"], data["outcome"])
    db.session.commit()
    return jsonify(dump_for(current_user, trade, [filing])[0])


@bp.post("/trades/<int:trade_id>/challenges/<int:filing_id>/suspension")
@doc("Suspend the procurement for a challenge that may affect the result (GPR 54: the purchaser or staff) or for "
     "a complaint (GPL 57: the finance department), or lift that suspension; the trade moves with "
     "pause_for_challenge / resume_after_challenge", FilingSuspensionSchema, FilingSchema)
def procurement_challenge_suspension(trade_id: int, filing_id: int):
    trade = trade_or_404(trade_id)
    _answerer(trade)
    filing = _filing(trade, filing_id)
    data = FilingSuspensionSchema().load(json_body())
    (services.suspend if data["suspend"] else services.lift)(current_user, filing)
    db.session.commit()
    return jsonify(dump_for(current_user, trade, [filing])[0])
