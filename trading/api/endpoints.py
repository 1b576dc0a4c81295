"""API endpoints: centres, rule sets, trades and their transitions, notices, documents, clarifications."""
from __future__ import annotations

import sqlalchemy as sa
from flask import request
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import Schema, ValidationError, fields, validate

from trading.accounts.services import authenticate, issue_token, revoke_token
from trading.api import bp, json_body, ok, trade_or_404
from trading.api.openapi import doc
from trading.centres.models import Centre
from trading.errors import InvalidInput
from trading.extensions import db
from trading.notices import services as notices
from trading.notices.views import serve_document
from trading.params import MAX_PAGE, int_arg
from trading.notices.models import Clarification, Document, Notice, NoticeKind
from trading.notices.schemas import (ClarificationCreateSchema, ClarificationSchema, ClarificationStaffSchema,
                                     DocumentSchema,
                                     DownloadSchema, NoticeSchema)
from trading.permissions import NotAuthenticated, can, require
from trading.rules.holidays import deadline_warnings
from trading.rules.model import MaxShare, MinPeriod, SameMoment, registry
from trading.schemas import LoadSchema, field
from trading.trades import lifecycle, retender, services as trades
from trading.trades.flows import TradeState
from trading.trades.models import Trade
from trading.trades.schemas import (MoveSchema, PublicTransitionSchema, TradeCreateSchema, TradeSchema, TradeWorkSchema,
                                    TradeUpdateSchema, TransitionSchema)


class TokenRequestSchema(LoadSchema):
    username = field(fields.String, required=True, validate=validate.Length(min=1, max=64))
    password = field(fields.String, required=True, validate=validate.Length(min=1, max=256))


class TokenSchema(Schema):
    token = fields.String()
    expires_at = fields.AwareDateTime()


class CentreSchema(Schema):
    id = fields.Integer(metadata={"description": "the centre_id that POST /trades takes"})
    code = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    methods = fields.List(fields.String())


class AllowedMoveSchema(Schema):
    move = fields.String()
    label = fields.String()
    needs_reason = fields.Boolean()


class TransitionListSchema(Schema):
    """A trade's state, its history, and the moves the caller may try now."""

    state = fields.String()
    history = fields.List(fields.Nested(PublicTransitionSchema))
    allowed = fields.List(fields.Nested(AllowedMoveSchema))


class TransitionListStaffSchema(TransitionListSchema):
    """For people working on the trade: the history names who made each move."""

    history = fields.List(fields.Nested(TransitionSchema))
    calendar_warnings = fields.List(fields.String(), metadata={
        "description": "milestones the holiday calendar does not cover (yet): read them before approving"})


_json = json_body
_trade = trade_or_404


def _page_args() -> tuple[int, int]:
    return int_arg("page", 1, maximum=MAX_PAGE), int_arg("per_page", 20, maximum=100)


@bp.post("/tokens")
@doc("Exchange a username and password for a bearer token", TokenRequestSchema, TokenSchema, 201, auth=False)
def create_token():
    data = TokenRequestSchema().load(_json())
    user = authenticate(data["username"], data["password"], request.remote_addr or "-")
    if user is None:
        raise NotAuthenticated(_("Wrong username or password."))
    token, row = issue_token(user)
    db.session.commit()
    return ok(TokenSchema().dump({"token": token, "expires_at": row.expires_at}), 201)


@bp.delete("/tokens")
@doc("Revoke the bearer token used for this request", None, None, 204)
def delete_token():
    if not current_user.is_authenticated:
        raise NotAuthenticated(_("Please log in to continue."))
    revoke_token(request.headers["Authorization"][7:].strip())
    db.session.commit()
    return "", 204


@bp.get("/centres")
@doc("The five centres and the trade methods each offers", None, CentreSchema(many=True), auth=False)
def list_centres():
    rows = db.session.scalars(sa.select(Centre).order_by(Centre.id)).all()
    return ok(CentreSchema(many=True).dump(rows))


@bp.get("/rulesets")
@doc("Every rule set with its rules and legal sources", None, None, auth=False)
def list_rule_sets():
    out = []
    for rs in registry.all():
        rules = []
        for r in rs.rules:
            item = {"code": r.code, "kind": type(r).__name__, "text": r.describe(),
                    "source": {"zh": r.source.zh, "en": r.source.en, "certainty": r.source.certainty}}
            if isinstance(r, MinPeriod):
                item.update(start=r.start, end=r.end, amount=r.amount, unit=r.unit.value)
            elif isinstance(r, SameMoment):
                item.update(first=r.first, second=r.second)
            elif isinstance(r, MaxShare):
                item.update(field=r.field, of=r.of, percent=str(r.percent))
            rules.append(item)
        limits = {k: {"value": str(v.value), "unit": getattr(v.unit, "value", v.unit),
                      "source": {"zh": v.source.zh, "en": v.source.en, "certainty": v.source.certainty}}
                  for k, v in rs.limits.items()}
        out.append({"key": rs.key, "name": str(rs.name), "flow": rs.flow, "kind": rs.kind,
                    "milestones": list(rs.milestones), "rules": rules, "limits": limits})
    return ok(out)


@bp.get("/trades")
@doc("Published trades, filtered by centre, method, state and text; scope=mine lists one's own work",
     None, TradeSchema(many=True), auth=False,
     query={"centre": "string", "method": "string", "state": "string", "q": "string", "scope": "string",
            "page": "integer", "per_page": "integer"}, paged=True)
def list_trades():
    page, per_page = _page_args()
    state = request.args.get("state") or None
    if state and state not in {s.value for s in TradeState}:
        raise InvalidInput({"state": [_("unknown state %(s)s", s=state)]})
    if request.args.get("scope") == "mine":
        if not current_user.is_authenticated:
            raise NotAuthenticated(_("Please log in to continue."))
        stmt = trades.workspace_query(current_user)
        if state:
            stmt = stmt.where(Trade.state == TradeState(state))
    else:
        centre = request.args.get("centre")
        centre_id = db.session.scalar(sa.select(Centre.id).where(Centre.code == centre)) if centre else None
        if centre and centre_id is None:
            raise InvalidInput({"centre": [_("unknown centre %(c)s", c=centre)]})
        stmt = trades.visible_trades_query(current_user, centre_id=centre_id, method=request.args.get("method"),
                                           state=TradeState(state) if state else None, q=request.args.get("q"))
    result = db.paginate(stmt, page=page, per_page=per_page, error_out=False)
    return ok({"items": TradeSchema(many=True).dump(result.items), "page": page, "per_page": per_page,
               "total": result.total})


@bp.post("/trades")
@doc("Create a draft trade", TradeCreateSchema, TradeWorkSchema, 201)
def create_trade():
    require("trade.create")
    try:
        data = TradeCreateSchema().load(_json())
    except ValidationError as exc:  # with the legal-time errors of the well-formed fields: all at once
        messages = dict(exc.messages) if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        for name, found in trades.rule_errors(exc.valid_data or {}).items():
            messages.setdefault(name, found)
        raise ValidationError(messages) from None
    trade = trades.create_trade(current_user, data)
    db.session.commit()
    return ok(TradeWorkSchema().dump(trade), 201)


@bp.get("/trades/<int:trade_id>")
@doc("One trade (calendar_warnings only for those who work on it)", None, TradeWorkSchema, auth=False)
def get_trade(trade_id: int):
    trade = _trade(trade_id)
    require("trade.view", trade)
    return ok(_trade_body(trade))


def _trade_body(trade: Trade) -> dict:
    """The public shape, or the workers' shape with the holiday calendar's warnings."""
    return (TradeWorkSchema() if can(current_user, "trade.work", trade) else TradeSchema()).dump(trade)


@bp.patch("/trades/<int:trade_id>")
@doc("Edit a draft trade (only the fields sent change)", TradeUpdateSchema(partial=True), TradeWorkSchema)
def update_trade(trade_id: int):
    trade = _trade(trade_id)
    require("trade.edit", trade)
    data = TradeUpdateSchema(partial=True).load(_json())
    trades.update_trade(current_user, trade, data)
    db.session.commit()
    return ok(TradeWorkSchema().dump(trade))


@bp.get("/trades/<int:trade_id>/transitions")
@doc("A trade's history and the moves the caller may try now", None, TransitionListSchema, auth=False)
def list_transitions(trade_id: int):
    trade = _trade(trade_id)
    require("trade.view", trade)
    allowed = lifecycle.allowed_moves(trade, current_user) if current_user.is_authenticated else []
    schema = TransitionListStaffSchema() if can(current_user, "trade.work", trade) else TransitionListSchema()
    body = {"state": trade.state.value, "history": trade.history}
    if isinstance(schema, TransitionListStaffSchema):
        body["calendar_warnings"] = deadline_warnings(trade)
    return ok(schema.dump({
        **body,
        "allowed": [{"move": m.name, "label": str(m.label), "needs_reason": m.needs_reason} for m in allowed]}))


@bp.post("/trades/<int:trade_id>/transitions")
@doc("Make a move (submit, approve, publish, suspend, ...)", MoveSchema, TransitionSchema, 201)
def create_transition(trade_id: int):
    trade = _trade(trade_id)
    require("trade.move", trade)
    data = MoveSchema().load(_json())
    record = trades.move(trade, data["move"], current_user, reason=data.get("reason"))
    db.session.commit()
    return ok(TransitionSchema().dump(record), 201)


@bp.post("/trades/<int:trade_id>/retender")
@doc("Tender a failed trade again in one step: a new draft with its documents, linked to the failed trade "
     "(the centre's staff or the tenderer)", None, TradeSchema, 201, bodyless=True)
def create_retender(trade_id: int):
    trade = _trade(trade_id)
    require("trade.retender", trade)
    made = retender.retender(current_user, trade)
    db.session.commit()
    return ok(TradeSchema().dump(made), 201)


@bp.get("/notices")
@doc("Published notices, newest first; filter by trade id and kind", None, NoticeSchema(many=True), auth=False,
     query={"trade": "integer", "kind": "string", "page": "integer", "per_page": "integer"}, paged=True)
def list_notices():
    page, per_page = _page_args()
    # a pre-disclosure (O32 Art 13) is public before its trade's formal notice
    stmt = sa.select(Notice).join(Trade).where(sa.or_(Trade.published_at.is_not(None),
                                                      Notice.kind == NoticeKind.PRE_DISCLOSURE))
    trade_id = int_arg("trade")
    if trade_id is not None:
        stmt = stmt.where(Notice.trade_id == trade_id)
    if request.args.get("kind"):
        try:
            stmt = stmt.where(Notice.kind == NoticeKind(request.args["kind"]))
        except ValueError:
            raise InvalidInput({"kind": [_("unknown notice kind")]}) from None
    result = db.paginate(stmt.order_by(Notice.published_at.desc(), Notice.id.desc()), page=page,
                         per_page=per_page, error_out=False)
    return ok({"items": NoticeSchema(many=True).dump(result.items), "page": page, "per_page": per_page,
               "total": result.total})


@bp.get("/trades/<int:trade_id>/documents")
@doc("A trade's documents", None, DocumentSchema(many=True), auth=False)
def list_documents(trade_id: int):
    trade = _trade(trade_id)
    require("trade.view", trade)
    rows = db.session.scalars(sa.select(Document).where(Document.trade_id == trade.id,
                                                        Document.withdrawn.is_(False))).all()
    return ok(DocumentSchema(many=True).dump(rows))


@bp.post("/trades/<int:trade_id>/documents")
@doc("Upload a tender document (multipart field 'file')", None, DocumentSchema, 201, upload="file")
def upload_document(trade_id: int):
    trade = _trade(trade_id)
    require("trade.documents.manage", trade)
    file = request.files.get("file")
    if file is None or not file.filename:
        raise InvalidInput({"file": [_("send the document as multipart field 'file'")]})
    doc_row = notices.upload_document(current_user, trade, file.filename, file.mimetype, file.stream)
    db.session.commit()
    return ok(DocumentSchema().dump(doc_row), 201)


@bp.get("/trades/<int:trade_id>/documents/<int:doc_id>/content")
@doc("Download a document; no registration needed. An optional ?email= is sent a confirmation link; "
     "once confirmed, the address receives the trade's clarifications. Anonymous calls are rate-limited "
     "per address (429 with Retry-After)", None, None, auth=False, query={"email": "string"})
def download_document(trade_id: int, doc_id: int):
    response, _sub = serve_document(_trade(trade_id), doc_id, current_user, request.args.get("email"))
    return response


@bp.get("/trades/<int:trade_id>/downloads")
@doc("Who downloaded the documents (tenderer and executing staff only)", None, DownloadSchema(many=True))
def list_downloads(trade_id: int):
    trade = _trade(trade_id)
    rows = notices.downloaders(current_user, trade)
    db.session.commit()
    return ok(DownloadSchema(many=True).dump(rows))


@bp.get("/trades/<int:trade_id>/clarifications")
@doc("Published clarifications of a trade", None, ClarificationSchema(many=True), auth=False)
def list_clarifications(trade_id: int):
    trade = _trade(trade_id)
    require("trade.view", trade)
    rows = db.session.scalars(sa.select(Clarification).where(Clarification.trade_id == trade.id)
                              .order_by(Clarification.number)).all()
    return ok(ClarificationSchema(many=True).dump(rows))


@bp.post("/trades/<int:trade_id>/clarifications")
@doc("Publish a clarification; notifies every downloader and moves a deadline that comes too soon",
     ClarificationCreateSchema, ClarificationStaffSchema, 201)
def create_clarification(trade_id: int):
    trade = _trade(trade_id)
    require("trade.clarify", trade)
    data = ClarificationCreateSchema().load(_json())
    clar = notices.publish_clarification(current_user, trade, data["title"], data["body"])
    db.session.commit()
    return ok(ClarificationStaffSchema().dump(clar), 201)


