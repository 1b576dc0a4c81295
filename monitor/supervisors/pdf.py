"""PDFs of the social supervisor scheme: the certificate (社会监督员证书) and a trade's supervision
record (监督记录). Official documents in the platform's language, rendered like the opening record:
trading.pdf (WeasyPrint, CJK fonts, a fetcher that refuses every URL but data:)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale

from monitor.audit import log as audit
from monitor.audit.models import AuditEntry, Checkpoint
from trading.clock import now
from trading.extensions import db
from trading.pdf import beijing, render_pdf, yuan

STATUS_ZH = {"active": "有效", "suspended": "暂停", "expired": "任期届满", "revoked": "已撤销"}
STAGE_ZH = {"opening_record": "开标记录", "evaluation_report": "评标报告", "award": "中标结果"}
DECISION_ZH = {"signed": "签署同意", "dissent": "签署并提出不同意见"}
RECUSAL_ZH = {"declared": "本人申报回避", "decided": "决策部门决定回避", "registry": "登记状态变更（暂停或撤销）",
              "ineligible": "抽取时已不符合条件"}
TRIGGER_ZH = {"publish": "发布公告时自动抽取", "manual": "决策部门抽取", "redraw": "递补顺序用尽后补抽"}
CARD_STATE_ZH = {"issued": "已发出", "assigned": "已指派", "answered": "已答复", "closed": "已关闭"}
SUBJECT_ZH = {"opening_record": "开标记录 SHA-256", "audit_entry": "审计日志条目哈希", "audit_root": "审计日志根哈希"}


def render_certificate(sup) -> bytes:
    html = render_template("monitor/certificate_pdf.html", sup=sup, status_zh=STATUS_ZH, today=now(),
                           beijing=beijing)
    return render_pdf(html)


def card_rows(trade) -> tuple[list[dict], bool]:
    """Cards of the trade as plain rows; (rows, available)."""
    from monitor.cards import services as cards

    try:
        found = cards.cards_for_trade(trade)
    except Exception:  # the record must render even if the card engine is broken
        current_app.logger.exception("cards_for_trade failed for %s", trade.ref)
        return [], False
    return [{"colour": card.level.value, "rule": card.norm, "state": card.state.value, "at": card.issued_at,
             "text": card.title} for card in found], True


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

    with force_locale("zh_CN"):
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
            stage_zh=STAGE_ZH, decision_zh=DECISION_ZH, recusal_zh=RECUSAL_ZH, trigger_zh=TRIGGER_ZH,
            subject_zh=SUBJECT_ZH, status_zh=STATUS_ZH, card_state_zh=CARD_STATE_ZH)
    return render_pdf(html)
