"""Sale API routes (on the bidding API blueprint), under /api/v1/trades/<id>/sale: the disclosed terms and the
listing's price board (anyone, once public), amendments and the increment (staff), registrations with their
documents and deposits, and listing quotes (qualified registrants)."""
from __future__ import annotations

from flask import abort, jsonify, request, send_file
from flask_babel import gettext as _
from flask_login import current_user

from bidding.auctions import services
from bidding.auctions.schemas import (AmendmentSchema, IncrementChangeLoadSchema, IncrementChangeSchema,
                                      MyQuoteSchema, QualifyLoadSchema, QuoteAcceptedSchema, QuoteLoadSchema,
                                      RefusalLoadSchema, RegistrationDocumentSchema, RegistrationSchema,
                                      SaleAmendmentLoadSchema, SaleSchema, SaleTermsLoadSchema)
from bidding.blueprints import api_bp as bp, authenticated
from trading.api import json_body, trade_or_404
from trading.api.openapi import doc
from trading.blobs import blob_store
from trading.clock import now
from trading.errors import InvalidInput
from trading.extensions import db
from trading.permissions import can, require


def sale_or_404(trade_id: int):
    """The sale, or 404 to anyone who may not know it exists (before its notice) and for any other trade."""
    trade = trade_or_404(trade_id)
    if not can(current_user, "trade.view", trade) or not services.is_sale(trade) or services.terms_of(trade) is None:
        abort(404)
    return trade


def sale_view(trade) -> dict:
    """The disclosed terms and the price board: prices and paddles, counts of registrations, never names."""
    terms, board = services.terms_of(trade), services.board(trade)
    return {"trade_id": trade.id, "state": trade.state.value, "starting_price": trade.estimated_price,
            "deposit": trade.bid_security, "increment": terms.increment, "appraised_value": terms.appraised_value,
            "listing_from": trade.listing_from, "bid_deadline": trade.bid_deadline, "round_at": terms.round_at,
            "disclosed_at": terms.disclosed_at, "amendments": terms.amendments, "price": board.price,
            "minimum": board.minimum, "open": board.open, "server_time": now(), "quotes": board.quotes,
            "increment_changes": services.increment_changes(trade), "registrations": services.counts(trade)}


def _registration(trade, registration_id: int):
    reg = services.registration_on(trade, registration_id)
    if reg is None:
        abort(404)
    require("auctions.registration.view", reg)
    return reg


@bp.get("/trades/<int:trade_id>/sale")
@doc("A land or property sale as everyone sees it once public: the disclosed terms (starting price, deposit, "
     "increment, appraisal, timeline), the price board of the listing by paddle number, the increment "
     "changes, and how many registered", None, SaleSchema, auth=False)
def sale_board(trade_id: int):
    return jsonify(SaleSchema().dump(sale_view(sale_or_404(trade_id))))


@bp.put("/trades/<int:trade_id>/sale/terms")
@doc("Set the sale's terms while it is a draft: the increment, the appraised value (property), the live "
     "round's time (auction) and timings (executing staff)", SaleTermsLoadSchema, SaleSchema)
def sale_set_terms(trade_id: int):
    trade = trade_or_404(trade_id)
    require("auctions.manage", trade)
    data = SaleTermsLoadSchema().load(json_body())
    services.set_terms(current_user, trade, data["increment"], data["appraised_value"], data["countdown_seconds"],
                       data["confirm_seconds"], data["round_at"], data["control_change"])
    db.session.commit()
    return jsonify(SaleSchema().dump(sale_view(trade)))


@bp.post("/trades/<int:trade_id>/sale/amendments")
@doc("Amend the disclosed terms after the notice: the listing start and the deadline move so the rule set's "
     "periods run again from now, and a clarification says so (executing staff; O32 Art 20, O39 Art 8)",
     SaleAmendmentLoadSchema, AmendmentSchema, 201)
def sale_amend(trade_id: int):
    trade = trade_or_404(trade_id)
    require("auctions.manage", trade)
    data = SaleAmendmentLoadSchema().load(json_body())
    changes = {k: data[k] for k in ("estimated_price", "bid_security", "increment", "appraised_value", "round_at")
               if data.get(k) is not None}
    clar = services.amend(current_user, trade, changes, data["title"], data["body"])
    db.session.commit()
    return jsonify(AmendmentSchema().dump({
        "number": clar.number, "title": clar.title, "body": clar.body, "published_at": clar.published_at,
        "listing_from": trade.listing_from, "bid_deadline": trade.bid_deadline,
        "amendments": services.terms_of(trade).amendments})), 201


@bp.post("/trades/<int:trade_id>/sale/increment")
@doc("Change the increment during the listing, saying why (executing staff; logged, public on the board)",
     IncrementChangeLoadSchema, IncrementChangeSchema, 201)
def sale_change_increment(trade_id: int):
    trade = trade_or_404(trade_id)
    require("auctions.manage", trade)
    data = IncrementChangeLoadSchema().load(json_body())
    change = services.change_increment(current_user, trade, data["increment"], data["reason"])
    db.session.commit()
    return jsonify(IncrementChangeSchema().dump(change)), 201


@bp.get("/trades/<int:trade_id>/sale/registrations")
@doc("Registrations (竞买申请): all of them for the centre's executing staff, one's own for a bidder company "
     "(nobody else learns who applied before the deal)", None, RegistrationSchema(many=True))
def sale_registrations(trade_id: int):
    trade = sale_or_404(trade_id)
    authenticated()
    if can(current_user, "auctions.manage", trade):
        rows = services.registrations(trade)
    else:
        own = services.registration_of(trade, current_user.organisation_id) if current_user.organisation_id else None
        rows = [own] if own is not None else []
    return jsonify(RegistrationSchema(many=True).dump(rows))


@bp.post("/trades/<int:trade_id>/sale/registrations")
@doc("Apply to bid for one's company while the sale is announced or listing (a bidder company's member)",
     None, RegistrationSchema, 201, bodyless=True)
def sale_register(trade_id: int):
    trade = sale_or_404(trade_id)
    require("auctions.register", trade)
    reg = services.register(current_user, trade)
    db.session.commit()
    return jsonify(RegistrationSchema().dump(reg)), 201


@bp.get("/trades/<int:trade_id>/sale/registrations/<int:registration_id>")
@doc("One registration with its documents (the centre's executing staff, the company itself)", None,
     RegistrationSchema)
def sale_registration(trade_id: int, registration_id: int):
    return jsonify(RegistrationSchema().dump(_registration(sale_or_404(trade_id), registration_id)))


@bp.post("/trades/<int:trade_id>/sale/registrations/<int:registration_id>/documents")
@doc("Add a qualification document to one's registration (multipart field 'file'; PDF, Word, Excel, ZIP, text, "
     "PNG, JPEG; at most 20 MB)", None, RegistrationDocumentSchema, 201, upload="file")
def sale_add_document(trade_id: int, registration_id: int):
    reg = _registration(sale_or_404(trade_id), registration_id)
    file = request.files.get("file")
    if file is None or not file.filename:
        raise InvalidInput({"file": [_("send the document as multipart field 'file'")]})
    doc_row = services.add_document(current_user, reg, file.filename, file.mimetype, file.stream)
    db.session.commit()
    return jsonify(RegistrationDocumentSchema().dump(doc_row)), 201


@bp.get("/trades/<int:trade_id>/sale/registrations/<int:registration_id>/documents/<int:document_id>")
@doc("A qualification document's content (the centre's executing staff, the company itself)", None, None)
def sale_document(trade_id: int, registration_id: int, document_id: int):
    reg = _registration(sale_or_404(trade_id), registration_id)
    doc_row = services.document_of(reg, document_id)
    if doc_row is None:
        abort(404)
    return send_file(blob_store().open(doc_row.sha256), mimetype=doc_row.content_type, as_attachment=True,
                     download_name=doc_row.filename)


@bp.post("/trades/<int:trade_id>/sale/registrations/<int:registration_id>/withdraw")
@doc("Withdraw one's application before it is qualified (the company itself)", None, RegistrationSchema,
     bodyless=True)
def sale_withdraw(trade_id: int, registration_id: int):
    reg = _registration(sale_or_404(trade_id), registration_id)
    services.withdraw(current_user, reg)
    db.session.commit()
    return jsonify(RegistrationSchema().dump(reg))


@bp.post("/trades/<int:trade_id>/sale/registrations/<int:registration_id>/refuse")
@doc("Refuse an application, saying why (executing staff)", RefusalLoadSchema, RegistrationSchema)
def sale_refuse(trade_id: int, registration_id: int):
    trade = sale_or_404(trade_id)
    require("auctions.manage", trade)
    reg = _registration(trade, registration_id)
    data = RefusalLoadSchema().load(json_body())
    services.refuse(current_user, reg, data["reason"])
    db.session.commit()
    return jsonify(RegistrationSchema().dump(reg))


@bp.post("/trades/<int:trade_id>/sale/registrations/<int:registration_id>/qualify")
@doc("Confirm the deposit against the bank's payment (its reference and the paying account, recorded) and "
     "qualify the applicant, drawing its paddle number (executing staff)", QualifyLoadSchema, RegistrationSchema)
def sale_qualify(trade_id: int, registration_id: int):
    trade = sale_or_404(trade_id)
    require("auctions.manage", trade)
    reg = _registration(trade, registration_id)
    data = QualifyLoadSchema().load(json_body())
    services.confirm_and_qualify(current_user, reg, data["payment_reference"], data["payer_account"],
                                 data["paid_at"])
    db.session.commit()
    return jsonify(RegistrationSchema().dump(reg))


def quote_refused(trade, row) -> tuple:
    """A refused quote (kept): 409 with its code, the message in the caller's language, and the price now."""
    minimum = services.minimum_quote(trade)
    return jsonify({"code": row.refusal, "message": services.refusal_message(row.refusal, minimum),
                    "field": "amount", "price": str(services.current_price(trade)), "minimum": str(minimum)}), 409


@bp.post("/trades/<int:trade_id>/sale/quotes")
@doc("Quote in the listing (a qualified registrant with a confirmed deposit): at least the starting price, "
     "then the current price plus whole increments; 201 accepted, 409 refused (kept, with its code: "
     "not_listing, too_low, not_increment, taken) and the lowest acceptable quote now",
     QuoteLoadSchema, QuoteAcceptedSchema, 201)
def sale_quote(trade_id: int):
    trade = sale_or_404(trade_id)
    require("auctions.register", trade)  # a bidder company's member; whether it qualified: 409 not_qualified
    data = QuoteLoadSchema().load(json_body())
    row = services.quote(current_user, trade, data["amount"])
    db.session.commit()
    if row.refusal is not None:
        return quote_refused(trade, row)
    return jsonify(QuoteAcceptedSchema().dump({
        "seq": row.seq, "paddle": row.paddle, "amount": row.amount, "received_at": row.received_at,
        "price": services.current_price(trade), "minimum": services.minimum_quote(trade)})), 201


@bp.get("/trades/<int:trade_id>/sale/quotes/mine")
@doc("One's own quotes in the listing, accepted and refused with the reason (a registrant)", None,
     MyQuoteSchema(many=True))
def sale_my_quotes(trade_id: int):
    trade = sale_or_404(trade_id)
    authenticated()
    reg = services.registration_of(trade, current_user.organisation_id) if current_user.organisation_id else None
    rows = services.my_quotes(trade, reg) if reg is not None else []
    return jsonify(MyQuoteSchema(many=True).dump([
        {"seq": q.seq, "paddle": q.paddle, "amount": q.amount, "received_at": q.received_at, "refusal": q.refusal,
         "message": services.refusal_message(q.refusal, None) if q.refusal else None} for q in rows]))
