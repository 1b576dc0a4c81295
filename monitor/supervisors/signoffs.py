"""Sign-offs: the supervisors drawn for a trade put their name (or their dissent) to the stages they
witnessed, and a stage cannot advance until each of them has.

Stages and the moves they gate (guards named in trading.trades.flows):
  opening_record     the trade is OPENED      gates start_evaluation   ("signed_off:opening_record")
  evaluation_report  the trade is EVALUATING  gates publicize          ("signed_off:evaluation_report")
  award              the trade is AWARDED     gates contract           ("signed_off:award")

Required = the trade's drawn supervisors who have not stepped aside. When none were drawn,
nothing is required (the e-supervision rules may card a trade that has no supervisor).

What is signed: for the opening record, the SHA-256 of the canonical opening record (bidding),
and the signature is made through the ceremony's `sign_record` - on the ceremony page or on the
supervision page, which calls the same function - so the signature appears in the opening record
PDF as well; the `record_signed` signal turns a drawn supervisor's signature into their sign-off.
For the other stages (and an opening without an electronic ceremony) the subject is the trade's
latest audit entry (index and leaf hash): the log is a hash chain, so that hash commits to the
trade's whole history as it stood when the supervisor signed. A package that produces the stage's
document can register a better subject in SUBJECTS.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from monitor.audit import log as audit
from monitor.audit.models import AuditEntry
from monitor.supervisors.models import DrawnSupervisor, SignOff, SignOffDecision, SignOffStage
from trading.accounts import policy
from trading.accounts.models import User
from trading.clock import now
from trading.errors import IllegalMove, InvalidInput, NotAllowed
from trading.extensions import db, flush_unless_taken
from trading.permissions import require
from trading.signing.services import STATEMENTS, Expected, Signed, accept
from trading.trades.flows import TradeState
from trading.trades.models import Trade

STAGE_STATE = {
    SignOffStage.OPENING_RECORD: TradeState.OPENED,
    SignOffStage.EVALUATION_REPORT: TradeState.EVALUATING,
    SignOffStage.AWARD: TradeState.AWARDED,
}
STAGE_MOVE = {
    SignOffStage.OPENING_RECORD: "start_evaluation",
    SignOffStage.EVALUATION_REPORT: "publicize",
    SignOffStage.AWARD: "contract",
}


@dataclass(frozen=True)
class Subject:
    """What a sign-off is bound to."""

    kind: str  # opening_record | audit_entry | <document kind>
    sha256: str
    index: int | None = None

    def as_json(self) -> dict:
        return {"kind": self.kind, "sha256": self.sha256, "index": self.index}


def opening_record_subject(trade: Trade) -> Subject | None:
    """The opening record's SHA-256, when the trade was opened by an electronic ceremony."""
    try:
        from bidding.ceremony.models import OpeningCeremony
    except ImportError:  # pragma: no cover - a platform without sealed bids
        return None
    sha = db.session.scalar(sa.select(OpeningCeremony.record_sha256).where(OpeningCeremony.trade_id == trade.id))
    return Subject("opening_record", sha) if sha else None


def evaluation_report_subject(trade: Trade) -> Subject | None:
    """The evaluation report's SHA-256, once the committee has made it (bidding/scoring)."""
    from bidding.scoring.models import EvaluationReport

    sha = db.session.scalar(sa.select(EvaluationReport.sha256).where(EvaluationReport.trade_id == trade.id))
    return Subject("evaluation_report", sha) if sha else None


def evaluation_report_ready(trade: Trade) -> bool:
    """A trade scored on the platform (it has a scoring plan) is signed off on its report, once every member
    has signed that; a trade evaluated otherwise is signed off on its audit log as before."""
    from bidding.scoring.models import EvaluationReport, ScoringPlan

    if db.session.scalar(sa.select(ScoringPlan.id).where(ScoringPlan.trade_id == trade.id)) is None:
        return True
    return db.session.scalar(sa.select(EvaluationReport.completed_at).where(
        EvaluationReport.trade_id == trade.id)) is not None


#: stage -> trade -> the document to sign (None: fall back to the trade's latest audit entry)
SUBJECTS: dict[SignOffStage, Callable[[Trade], Subject | None]] = {
    SignOffStage.OPENING_RECORD: opening_record_subject,
    SignOffStage.EVALUATION_REPORT: evaluation_report_subject,
}


def audit_subject(trade: Trade) -> Subject:
    db.session.flush()
    row = db.session.execute(sa.select(AuditEntry.seq, AuditEntry.leaf_hash).where(AuditEntry.trade_id == trade.id)
                             .order_by(AuditEntry.seq.desc()).limit(1)).first()
    if row is None:
        size, root = audit.head()
        return Subject("audit_root", root.hex(), size)
    return Subject("audit_entry", bytes(row.leaf_hash).hex(), row.seq)


def subject_for(trade: Trade, stage: SignOffStage) -> Subject:
    fn = SUBJECTS.get(stage)
    return (fn(trade) if fn else None) or audit_subject(trade)


def parse_stage(value) -> SignOffStage:
    try:
        return SignOffStage(value)
    except ValueError:
        raise InvalidInput({"stage": [_("must be one of: %(list)s",
                                        list=", ".join(s.value for s in SignOffStage))]}) from None


def signoffs(trade: Trade, stage: SignOffStage | None = None) -> list[SignOff]:
    stmt = sa.select(SignOff).where(SignOff.trade_id == trade.id)
    if stage is not None:
        stmt = stmt.where(SignOff.stage == stage)
    return list(db.session.scalars(stmt.order_by(SignOff.id)))


def required(trade: Trade) -> list[DrawnSupervisor]:
    from monitor.supervisors.draws import serving

    return serving(trade)


def missing(trade: Trade, stage: SignOffStage) -> list[DrawnSupervisor]:
    """Required supervisors who have neither signed nor dissented on `stage`."""
    done = {s.user_id for s in signoffs(trade, stage)}
    return [d for d in required(trade) if d.user_id not in done]


def stage_open(trade: Trade, stage: SignOffStage) -> bool:
    """A stage is signed while the trade is in it (or suspended from it)."""
    state = STAGE_STATE[stage]
    return trade.state is state or (trade.state is TradeState.SUSPENDED and trade.suspended_from is state)


def _record(trade: Trade, stage: SignOffStage, d: DrawnSupervisor, actor: User, decision: SignOffDecision,
            reason: str | None, subject: Subject, signed: Signed) -> SignOff:
    """The audit entry first (its index goes on the row), then the row; both in the caller's transaction.
    The entry carries the statement's SHA-256 and the signature, so the log vouches for what was signed."""
    seq = audit.record(f"signoff.{stage.value}", obj={"type": "trade", "id": trade.id}, trade=trade, actor=actor,
                       after={"trade": trade.ref, "stage": stage.value, "decision": decision.value, "reason": reason,
                              "subject": subject.as_json(), "supervisor": d.supervisor_id,
                              "certificate": d.supervisor.certificate_no, "state": trade.state.value,
                              **signed.as_entry()})
    row = SignOff(trade_id=trade.id, stage=stage, user_id=actor.id, supervisor_id=d.supervisor_id, decision=decision,
                  reason=reason, subject_kind=subject.kind, subject_hash=subject.sha256, subject_index=subject.index,
                  at=now(), entry_seq=seq, **signed.as_columns())
    db.session.add(row)
    trade_id, user_id = trade.id, actor.id
    flush_unless_taken(  # the same sign-off sent twice at once: 409, not 500
        lambda: db.session.scalar(sa.select(SignOff.id).where(SignOff.trade_id == trade_id, SignOff.stage == stage,
                                                              SignOff.user_id == user_id)) is not None,
        IllegalMove(_("You have already signed off the %(stage)s.", stage=stage.label.lower()), code="already_signed"))
    return row


def _existing(trade: Trade, stage: SignOffStage, user_id: int) -> SignOff | None:
    return db.session.scalar(sa.select(SignOff).where(SignOff.trade_id == trade.id, SignOff.stage == stage,
                                                      SignOff.user_id == user_id))


def _checked(actor: User, trade: Trade, stage, decision, reason: str | None
             ) -> tuple[SignOffStage, SignOffDecision, str | None, DrawnSupervisor]:
    """The sign-off's checks, before anything is signed or stored."""
    require("supervisors.trade.sign", trade, user=actor)
    stage = parse_stage(stage) if not isinstance(stage, SignOffStage) else stage
    try:
        decision = SignOffDecision(decision)
    except ValueError:
        raise InvalidInput({"decision": [_("must be one of: %(list)s",
                                           list=", ".join(d.value for d in SignOffDecision))]}) from None
    reason = (reason or "").strip() or None
    if decision is SignOffDecision.DISSENT and not reason:
        raise InvalidInput({"reason": [_("a dissent needs its reason")]})
    if reason and len(reason) > 4000:
        raise InvalidInput({"reason": [_("at most %(n)d characters", n=4000)]})
    if decision is SignOffDecision.SIGNED:
        reason = None
    d = next((x for x in required(trade) if x.user_id == actor.id), None)
    if d is None:
        raise NotAllowed(_("Only the supervisors drawn for this trade sign its stages."))
    if _existing(trade, stage, actor.id) is not None:
        raise IllegalMove(_("You have already signed off the %(stage)s.", stage=stage.label.lower()),
                          code="already_signed")
    if not stage_open(trade, stage):
        raise IllegalMove(_("The %(stage)s is signed while the trade is %(state)s; this trade is %(now)s.",
                            stage=stage.label.lower(), state=STAGE_STATE[stage].label, now=trade.state.label),
                          code="wrong_stage")
    if stage is SignOffStage.EVALUATION_REPORT and not evaluation_report_ready(trade):
        raise IllegalMove(_("The committee scores on the platform: the supervisors sign off the evaluation report "
                            "once every member has signed it."), code="report_not_signed")
    return stage, decision, reason, d


def _statement_subject(trade: Trade, stage: SignOffStage, subject: Subject) -> dict:
    return {"trade": trade.ref, "trade_id": trade.id, "stage": stage.value, "subject": subject.as_json()}


def _subject_signed(trade: Trade, stage: SignOffStage, given: dict) -> Subject:
    """The subject a statement names, if it is right: the stage's document, or an entry of this trade's
    log (the trade's latest when the statement was issued; later entries may have come since)."""
    inner = given.get("subject") if isinstance(given.get("subject"), dict) else {}
    if inner.get("kind") == "audit_entry" and isinstance(inner.get("index"), int):
        row = db.session.execute(sa.select(AuditEntry.trade_id, AuditEntry.leaf_hash)
                                 .where(AuditEntry.seq == inner["index"])).first()
        if row is not None and row.trade_id == trade.id and bytes(row.leaf_hash).hex() == inner.get("sha256"):
            return Subject("audit_entry", inner["sha256"], inner["index"])
    return subject_for(trade, stage)


def signoff_statement(actor: User, params: dict) -> Expected:
    """trading.signing.STATEMENTS["sign-off"]: what a drawn supervisor signs for a stage."""
    trade = db.session.get(Trade, params.get("trade_id") or 0)
    if trade is None:
        raise InvalidInput({"trade_id": [_("is not a trade")]})
    stage, decision, reason, _d = _checked(actor, trade, params.get("stage"), params.get("decision"),
                                           params.get("dissent"))
    if stage is SignOffStage.OPENING_RECORD and opening_record_subject(trade) is not None:
        raise InvalidInput({"kind": [_("the opening record of an electronic opening is signed as kind "
                                       "opening-record")]})
    return Expected(_statement_subject(trade, stage, subject_for(trade, stage)), decision.value, reason)


STATEMENTS["sign-off"] = signoff_statement


def sign_off(actor: User, trade: Trade, stage, decision, reason: str | None = None, statement: str | None = None,
             signature=None) -> SignOff:
    """A drawn supervisor signs `stage` or records a dissent (with its reason), once, with their own key
    over the statement the platform issued (for the opening record: the ceremony's statement)."""
    stage, decision, reason, d = _checked(actor, trade, stage, decision, reason)
    policy.check_participation(actor, trade, "supervisor")  # a tie learnt since the draw: step aside instead
    if stage is SignOffStage.OPENING_RECORD and opening_record_subject(trade) is not None:
        return _sign_opening_record(actor, trade, d, decision, reason, statement, signature)
    chosen: list[Subject] = []

    def expected(given: dict) -> Expected:
        chosen.append(_subject_signed(trade, stage, given))
        return Expected(_statement_subject(trade, stage, chosen[0]), decision.value, reason)

    signed = accept(actor, "sign-off", expected, statement, signature)
    return _record(trade, stage, d, actor, decision, reason, chosen[0], signed)


def _sign_opening_record(actor: User, trade: Trade, d: DrawnSupervisor, decision: SignOffDecision,
                         reason: str | None, statement: str | None, signature) -> SignOff:
    """One path for the opening record: the ceremony's signature (the listener makes the sign-off).
    A signature made on the ceremony page before this supervisor was drawn counts as it stands."""
    from bidding.ceremony import services as ceremony
    from bidding.ceremony.models import RecordSignature

    cer = ceremony.ceremony_of(trade)
    earlier = db.session.scalar(sa.select(RecordSignature).where(RecordSignature.ceremony_id == cer.id,
                                                                 RecordSignature.user_id == actor.id))
    if earlier is None:
        ceremony.sign_record(actor, trade, reason if decision is SignOffDecision.DISSENT else None, statement,
                             signature)
    else:
        on_record_signed(trade, signature=earlier, actor=actor)
    row = _existing(trade, SignOffStage.OPENING_RECORD, actor.id)
    assert row is not None, "record_signed listener is not connected"
    return row


def on_record_signed(trade: Trade, signature=None, actor=None, **_kw) -> None:
    """bidding.ceremony.record_signed: a drawn supervisor's signature on the opening record is their sign-off
    (the same statement and signature)."""
    if actor is None or signature is None:
        return
    d = db.session.scalar(sa.select(DrawnSupervisor).where(DrawnSupervisor.trade_id == trade.id,
                                                           DrawnSupervisor.user_id == actor.id,
                                                           DrawnSupervisor.recused_at.is_(None)))
    if d is None or _existing(trade, SignOffStage.OPENING_RECORD, actor.id) is not None:
        return
    decision = SignOffDecision.DISSENT if signature.dissent else SignOffDecision.SIGNED
    signed = Signed(signature.statement or "", bytes(signature.signature or b""), signature.key_fingerprint or "")
    _record(trade, SignOffStage.OPENING_RECORD, d, actor, decision, signature.dissent,
            Subject("opening_record", signature.record_sha256), signed)


# ---- the guards -------------------------------------------------------------------------------------

def guard_for(stage: SignOffStage) -> Callable[[Trade, datetime], None]:
    def guard(trade: Trade, at: datetime) -> None:
        waiting = missing(trade, stage)
        if waiting:
            names = _(", ").join(d.user.display_name for d in waiting)
            raise IllegalMove(_("The %(stage)s has not been signed off yet by: %(names)s. Each social supervisor "
                                "drawn for this trade must sign it or record a dissent first.",
                                stage=stage.label.lower(), names=names), code="signoff_missing")

    guard.__name__ = f"signed_off_{stage.value}"
    return guard


def guard_name(stage: SignOffStage) -> str:
    return f"signed_off:{stage.value}"


def install_guards() -> None:
    """Register the sign-off guards the flows name (idempotent)."""
    from trading.trades.lifecycle import GUARDS

    for stage in SignOffStage:
        GUARDS.setdefault(guard_name(stage), guard_for(stage))


def connect_listeners() -> None:
    from bidding.ceremony.services import record_signed
    record_signed.connect(on_record_signed)
