"""PDFs of the social supervisor scheme: the certificate (社会监督员证书) and a trade's supervision
record (监督记录), in the reader's language, rendered like the opening record:
trading.pdf (WeasyPrint, CJK fonts, a fetcher that refuses every URL but data:)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import get_locale, lazy_gettext as _l

from monitor.audit import log as audit
from monitor.audit.models import AuditEntry, Checkpoint
from trading.clock import now
from trading.extensions import db
from trading.pdf import beijing, render_pdf, yuan

STATUS_LABELS = {"active": _l("Active"), "suspended": _l("Suspended"), "expired": _l("Term ended"),
                 "revoked": _l("Revoked")}
STAGE_LABELS = {"opening_record": _l("Opening record"), "evaluation_report": _l("Evaluation report"),
                "award": _l("Award")}
DECISION_LABELS = {"signed": _l("Signed in agreement"), "dissent": _l("Signed with a dissent")}
RECUSAL_LABELS = {"declared": _l("Declared by the supervisor"), "decided": _l("Decided by the decision branch"),
                  "registry": _l("Register status changed (suspended or revoked)"),
                  "ineligible": _l("No longer eligible when drawn")}
TRIGGER_LABELS = {"publish": _l("Drawn automatically on publication"), "manual": _l("Drawn by the decision branch"),
                  "redraw": _l("Drawn again after the replacement order ran out")}
CARD_STATE_LABELS = {"issued": _l("Issued"), "assigned": _l("Assigned"), "answered": _l("Answered"),
                     "closed": _l("Closed")}
SUBJECT_LABELS = {"opening_record": _l("Opening record SHA-256"), "audit_entry": _l("Audit log entry hash"),
                  "audit_root": _l("Audit log root hash")}


def _is_zh() -> bool:
    return str(get_locale() or "zh_CN").startswith("zh")


def render_certificate(sup) -> bytes:
    html = render_template("monitor/certificate_pdf.html", sup=sup, status_labels=STATUS_LABELS, today=now(),
                           beijing=beijing, is_zh=_is_zh(),
                           centre_name=sup.centre.name_zh if _is_zh() else sup.centre.name_en)
    return render_pdf(html)


def _rule(card) -> str:
    from monitor.cards.texts import norm_of

    norm = norm_of(card)
    return norm.describe() if norm is not None else card.norm


def card_rows(trade) -> tuple[list[dict], bool]:
    """Cards of the trade as plain rows; (rows, available)."""
    from monitor.cards import services as cards

    try:
        found = cards.cards_for_trade(trade)
    except Exception:  # the record must render even if the card engine is broken
        current_app.logger.exception("cards_for_trade failed for %s", trade.ref)
        return [], False
    return [{"colour": card.level.value, "colour_label": card.level.label, "rule": _rule(card),
             "state": card.state.value, "at": card.issued_at, "text": card.title} for card in found], True


def covering_checkpoints(trade, draw_checkpoints: set[int], limit: int = 10) -> tuple[list, int | None, int | None]:
    """Checkpoints that cover entries of the trade: those its draws used and the latest ones."""
    first, last = db.session.execute(sa.select(sa.func.min(AuditEntry.seq), sa.func.max(AuditEntry.seq))
                                     .where(AuditEntry.trade_id == trade.id)).one()
    if first is None:
        return [], None, None
    stmt = sa.select(Checkpoint).where(Checkpoint.size > first)
    latest = list(db.session.scalars(stmt.order_by(Checkpoint.id.desc()).limit(limit)))
    used = list(db.session.scalars(sa.select(Checkpoint).where(Checkpoint.id.in_(draw_checkpoints or {-1}))))
    rows = {cp.id: cp for cp in latest + used}
    return [rows[k] for k in sorted(rows)], first, last


def render_supervision_record(trade) -> bytes:
    from monitor.supervisors import draws as supervisor_draws
    from monitor.supervisors import signoffs
    from monitor.supervisors.models import SignOffStage

    from monitor.audit.views import reason_label

    draws = supervisor_draws.draws(trade)
    drawn = supervisor_draws.drawn(trade)
    signed = signoffs.signoffs(trade)
    pending = {s.value: [d.user.display_name for d in signoffs.missing(trade, s)]
               for s in SignOffStage if signoffs.stage_open(trade, s)}
    cards, cards_ok = card_rows(trade)
    checkpoints, first, last = covering_checkpoints(trade, {d.checkpoint_id for d in draws if d.checkpoint_id})
    size, root = audit.head()
    html = render_template(
        "monitor/supervision_record_pdf.html", trade=trade, rule=supervisor_draws.required_count(trade),
        draws=draws, drawn=drawn, signoffs=signed, pending=pending, cards=cards, cards_ok=cards_ok,
        checkpoints=checkpoints, first_entry=first, last_entry=last, head_size=size, head_root=root.hex(),
        generated_at=now(), beijing=beijing, yuan=yuan, hexroot=lambda cp: bytes(cp.root).hex(),
        stage_labels=STAGE_LABELS, decision_labels=DECISION_LABELS, recusal_labels=RECUSAL_LABELS,
        trigger_labels=TRIGGER_LABELS, subject_labels=SUBJECT_LABELS, status_labels=STATUS_LABELS,
        card_state_labels=CARD_STATE_LABELS, checkpoint_reason=reason_label, is_zh=_is_zh())
    return render_pdf(html)
