"""Award pages: the workspace page of the tenderer, the staff and the supervisors (candidates, objections,
complaints, award, letters, report, contract, refunds), and the public page (the candidates and the result;
a signed-in bidder or interested party objects, complains and reads their own letter there)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from bidding.award import services
from bidding.award.api import letter_pdf
from bidding.blueprints import bp
from trading.accounts.models import User
from trading.clock import local_tz
from trading.errors import InvalidInput
from trading.extensions import db
from trading.notices.models import Notice, NoticeKind
from trading.permissions import can, require, requires
from trading.trades import services as trades
from trading.trades.models import Trade
from trading.views_common import load_trade

import sqlalchemy as sa


def _when(field: str) -> datetime | None:
    """A datetime-local field in the platform's time zone; InvalidInput naming it when malformed."""
    raw = (request.form.get(field) or "").strip()
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw).replace(tzinfo=local_tz())
    except ValueError:
        raise InvalidInput({field: [_("is not in the right form")]}) from None


def _yes(field: str) -> bool | None:
    value = request.form.get(field)
    return None if value in (None, "") else value == "1"


def _notices(trade: Trade) -> list[Notice]:
    kinds = (NoticeKind.CANDIDATES, NoticeKind.RESULT, NoticeKind.COMPLAINT, NoticeKind.CONTRACT)
    return list(db.session.scalars(sa.select(Notice).where(Notice.trade_id == trade.id, Notice.kind.in_(kinds))
                                   .order_by(Notice.published_at, Notice.id)))


def _workspace(trade: Trade, errors: dict | None = None, status: int = 200):
    complaints = services.complaints(trade) if can(current_user, "award.complaints.view", trade) else []
    supervisors = []
    if can(current_user, "award.complaints.handle", trade):
        from trading.accounts.roles import Role

        supervisors = [u for u in db.session.scalars(sa.select(User).order_by(User.username))
                       if trade.centre_id in u.centres_for(Role.ADMIN_SUPERVISOR)]
    # a layer above may refuse this person's award (a government procurement: the purchaser decides): the page
    # then shows why and where instead of a form that could only fail
    refusal = services.award_refusal(trade, current_user) if can(current_user, "award.decide", trade) else None
    return render_template("bidding/award/award.html", trade=trade, lst=services.current_list(trade),
                           award_refusal=refusal,
                           objections=services.objections(trade), decision=services.decision_of(trade),
                           report=services.report_of(trade), disqualified=services.disqualifications(trade), letters=services.letters(trade),
                           contract=services.contract_of(trade), complaints=complaints, supervisors=supervisors,
                           errors=errors or {}, values=request.form if errors else {}), status


def _public(trade: Trade, errors: dict | None = None, status: int = 200):
    mine = current_user.is_authenticated
    return render_template(
        "bidding/award/public.html", trade=trade, lst=services.current_list(trade), notices=_notices(trade),
        in_publicity=services.in_publicity(trade),
        my_objections=services.objections_by(current_user, trade) if mine else [],
        my_complaints=services.complaints_by(current_user, trade) if mine else [],
        my_letters=[x for x in services.letters(trade) if can(current_user, "award.letter", x)] if mine else [],
        errors=errors or {}, values=request.form if errors else {}), status


def _attempt(trade: Trade, work: Callable[[], object], done: str, page: str = "workspace"):
    """Run a service call; on bad input show the page again with each field's message (422)."""
    try:
        work()
    except InvalidInput as exc:
        db.session.rollback()
        return (_public if page == "public" else _workspace)(trade, exc.errors, 422)
    db.session.commit()
    flash(done, "success")
    target = "bidding.award_public" if page == "public" else "bidding.award_page"
    return redirect(url_for(target, trade_id=trade.id))


# ---- the public page ---------------------------------------------------------------------------------

@bp.route("/trades/<int:trade_id>/candidates")
def award_public(trade_id: int):
    """The candidates in publicity and the result (anyone, once the trade is public)."""
    trade = load_trade(trade_id)
    if not can(current_user, "trade.view", trade) or not can(current_user, "award.public", trade):
        abort(404)
    return _public(trade)


@bp.route("/trades/<int:trade_id>/candidates/objections", methods=["POST"])
@login_required
@requires("award.object", load=load_trade)
def award_object_page(trade_id: int, obj: Trade):
    return _attempt(obj, lambda: services.raise_objection(current_user, obj, request.form.get("text")),
                    _("Objection recorded. The tender waits for the tenderer's answer."), "public")


@bp.route("/trades/<int:trade_id>/candidates/complaints", methods=["POST"])
@login_required
@requires("award.complain", load=load_trade)
def award_complain_page(trade_id: int, obj: Trade):
    return _attempt(obj, lambda: services.file_complaint(current_user, obj, request.form.get("text"),
                                                         _when("knew_at"), request.form.get("about", "procedure")),
                    _("Complaint filed with the administrative supervisors."), "public")


@bp.route("/trades/<int:trade_id>/award/letters/<int:letter_id>.pdf")
@login_required
def award_letter_page(trade_id: int, letter_id: int):
    """A letter as a PDF (its company's members; the tenderer and the staff)."""
    return letter_pdf(load_trade(trade_id), letter_id)


# ---- the workspace page ------------------------------------------------------------------------------

@bp.route("/trades/<int:trade_id>/award")
@login_required
@requires("award.view", load=load_trade)
def award_page(trade_id: int, obj: Trade):
    return _workspace(obj)


@bp.route("/trades/<int:trade_id>/award/publicize", methods=["POST"])
@login_required
@requires("award.manage", load=load_trade)
def award_publicize_page(trade_id: int, obj: Trade):
    return _attempt(obj, lambda: trades.move(obj, "publicize", current_user), _("Candidates published."))


@bp.route("/trades/<int:trade_id>/award/objections/<int:objection_id>/answer", methods=["POST"])
@login_required
@requires("award.answer", load=load_trade)
def award_answer_page(trade_id: int, objection_id: int, obj: Trade):
    row = services.objection_of(obj, objection_id)
    if row is None:
        abort(404)
    return _attempt(obj, lambda: services.answer_objection(current_user, row, request.form.get("answer"),
                                                           _yes("upheld")), _("Answer recorded."))


@bp.route("/trades/<int:trade_id>/award/decision", methods=["POST"])
@login_required
@requires("award.decide", load=load_trade)
def award_decide_page(trade_id: int, obj: Trade):
    def work():
        passes = []
        for key in request.form:
            if key.startswith("pass_reason_") and request.form[key]:
                cid = key.removeprefix("pass_reason_")
                if cid.isdigit():
                    passes.append(services.PassOver(int(cid), request.form[key],
                                                    request.form.get(f"pass_note_{cid}", "")))
        winner = request.form.get("winner_id", "")
        return services.award(current_user, obj, passes, int(winner) if winner.isdigit() else None,
                              request.form.get("reason"))

    return _attempt(obj, work, _("Awarded: the letters are issued and the result published."))


@bp.route("/trades/<int:trade_id>/award/report", methods=["POST"])
@login_required
@requires("award.report", load=load_trade)
def award_report_page(trade_id: int, obj: Trade):
    return _attempt(obj, lambda: services.report_award(current_user, obj, request.form.get("text")),
                    _("Report recorded."))


@bp.route("/trades/<int:trade_id>/award/contract", methods=["POST"])
@login_required
@requires("award.contract", load=load_trade)
def award_contract_page(trade_id: int, obj: Trade):
    def work():
        file = request.files.get("document")
        return services.record_contract(current_user, obj, (request.form.get("amount") or "").strip(),
                                        (request.form.get("performance_bond") or "").strip(), _when("signed_on"),
                                        file.filename if file else None, file.mimetype if file else None,
                                        file.stream if file and file.filename else None)

    return _attempt(obj, work, _("Contract recorded and published."))


@bp.route("/trades/<int:trade_id>/award/refunds", methods=["POST"])
@login_required
@requires("deposits.manage", load=load_trade)
def award_refunds_page(trade_id: int, obj: Trade):
    return _attempt(obj, lambda: services.refund_deposits(current_user, obj), _("Deposits refunded."))


def _complaint(trade: Trade, complaint_id: int):
    row = services.complaint_of(trade, complaint_id)
    if row is None:
        abort(404)
    return row


@bp.route("/trades/<int:trade_id>/award/complaints/<int:complaint_id>/decision", methods=["POST"])
@login_required
@requires("award.complaints.handle", load=load_trade)
def award_decide_complaint_page(trade_id: int, complaint_id: int, obj: Trade):
    row = _complaint(obj, complaint_id)

    def work():
        reviewer_id = request.form.get("reviewer_id", "")
        reviewer = db.session.get(User, int(reviewer_id)) if reviewer_id.isdigit() else None
        require("award.complaints.handle", obj)
        return services.decide_complaint(current_user, row, request.form.get("accept") == "1",
                                         request.form.get("reason"), reviewer, request.form.get("suspend") == "1")

    return _attempt(obj, work, _("Decision recorded."))


@bp.route("/trades/<int:trade_id>/award/complaints/<int:complaint_id>/ruling", methods=["POST"])
@login_required
@requires("award.complaints.handle", load=load_trade)
def award_rule_complaint_page(trade_id: int, complaint_id: int, obj: Trade):
    row = _complaint(obj, complaint_id)
    return _attempt(obj, lambda: services.rule_complaint(current_user, row, _yes("upheld"), request.form.get("ruling")),
                    _("Ruling recorded and published."))
