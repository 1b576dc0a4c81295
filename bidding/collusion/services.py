"""Screening a trade's opened bids for collusion signals, and the committee's decisions on the flags.

`screen_trade` gathers what is known of each opened bid (price, attached files and their metadata,
what the submission saw, the deposit's paying account, when it arrived), runs bidding.collusion.screens
and keeps the findings as flags: a finding seen before keeps its flag and its decisions. It runs at the
opening (a listener on the ceremony's `ceremony_completed`, inside its transaction but in a savepoint:
a failing screen never fails an opening) and on demand. A flag never disqualifies: the committee
records what it did with it (`review_flag`), and the audit log keeps every row."""
from __future__ import annotations

import logging
import sqlalchemy as sa
from blinker import Namespace
from flask import current_app
from flask_babel import gettext as _

import bidding.collusion.permissions  # noqa: F401  (registers the collusion permissions)
from bidding.ceremony.models import EntryStatus, OpeningCeremony, OpeningEntry
from bidding.collusion import metadata as meta, screens
from bidding.collusion.models import (MAX_NOTE, BidSighting, CollusionFlag, DocumentMetadata, FlagDecision,
                                      FlagReview, Screening)
from bidding.collusion.permissions import DECRYPTED
from bidding.custody.models import KeptDocument
from bidding.deposits.models import BidDeposit
from bidding.submission.models import Bid
from trading.accounts.models import Organisation
from trading.clock import now
from trading.errors import IllegalMove, InvalidInput
from trading.extensions import db
from trading.permissions import require
from trading.trades.models import Trade

log = logging.getLogger(__name__)

_signals = Namespace()
#: sender=Trade; kwargs: screening (Screening), actor (User or None at the opening)
screened = _signals.signal("collusion-screened")
#: sender=Trade; kwargs: review (FlagReview), actor (User)
flag_reviewed = _signals.signal("collusion-flag-reviewed")

#: file names whose metadata is read (by extension): PDFs and OOXML office files
METADATA_EXTENSIONS = (".pdf", ".docx", ".xlsx", ".pptx", ".docm", ".xlsm")


# ---- what is known of each bid ------------------------------------------------------------------

def _entries(trade: Trade) -> list[OpeningEntry]:
    return list(db.session.scalars(
        sa.select(OpeningEntry).join(OpeningCeremony).where(OpeningCeremony.trade_id == trade.id,
                                                            OpeningEntry.status == EntryStatus.OPENED)
        .order_by(OpeningEntry.id)))


def read_metadata(trade: Trade) -> int:
    """Read the metadata of the trade's kept PDFs and office files not read yet (decrypted in memory by
    the platform, as at the opening; no person reads them here). Returns how many were read."""
    from bidding.crypto import custody as crypto
    from bidding.custody.services import custody_kek
    from trading.blobs import blob_store

    if not current_app.config.get("COLLUSION_READ_METADATA", True):
        return 0
    done = set(db.session.scalars(sa.select(DocumentMetadata.document_id).where(DocumentMetadata.trade_id == trade.id)))
    docs = [d for d in db.session.scalars(sa.select(KeptDocument).where(KeptDocument.trade_id == trade.id))
            if d.id not in done and d.name.lower().endswith(METADATA_EXTENSIONS) and d.size <= meta.MAX_BYTES]
    if not docs:
        return 0
    versions = dict(db.session.execute(sa.select(Bid.id, Bid.version).where(Bid.id.in_({d.bid_id for d in docs}))).all())
    codes = dict(db.session.execute(sa.select(Organisation.id, Organisation.credit_code).where(
        Organisation.id.in_({d.organisation_id for d in docs}))).all())
    kek = custody_kek()
    for doc in docs:
        path = blob_store().path(doc.blob_sha256)
        try:
            with path.open("rb") as fh:
                data = b"".join(crypto.read_kept(fh, kek, doc.sealed, crypto.context(
                    trade.ref, codes[doc.organisation_id], versions[doc.bid_id], doc.name)))
            found = meta.read(data)
        except (OSError, crypto.CustodyError):
            found = meta.Metadata("other")
        db.session.add(DocumentMetadata(document_id=doc.id, trade_id=trade.id, organisation_id=doc.organisation_id,
                                        kind=found.kind, author=found.author, last_modified_by=found.last_modified_by,
                                        creator_tool=found.creator_tool, created=found.created))
    db.session.flush()
    return len(docs)


def bid_facts(trade: Trade) -> list[screens.BidFacts]:
    """Each opened bid as the screens see it (one per company: the opened version)."""
    entries = _entries(trade)
    bids = {b.id: b for b in db.session.scalars(sa.select(Bid).where(Bid.id.in_([e.bid_id for e in entries])))}
    sightings = {s.bid_id: s for s in db.session.scalars(sa.select(BidSighting).where(BidSighting.trade_id == trade.id))}
    accounts = dict(db.session.execute(sa.select(BidDeposit.organisation_id, BidDeposit.payer_account).where(
        BidDeposit.trade_id == trade.id)).all())
    documents: dict[int, list[screens.DocumentFacts]] = {}
    rows = db.session.execute(sa.select(DocumentMetadata, KeptDocument.name, KeptDocument.bid_id)
                              .join(KeptDocument, KeptDocument.id == DocumentMetadata.document_id)
                              .where(DocumentMetadata.trade_id == trade.id)).all()
    for m, name, bid_id in rows:
        documents.setdefault(bid_id, []).append(screens.DocumentFacts(name, m.author, m.last_modified_by,
                                                                      m.creator_tool, m.created))
    names = dict(db.session.execute(sa.select(Organisation.id, Organisation.name).where(
        Organisation.id.in_([e.organisation_id for e in entries]))).all())
    out = []
    for entry in entries:
        bid, seen = bids.get(entry.bid_id), sightings.get(entry.bid_id)
        out.append(screens.BidFacts(
            organisation_id=entry.organisation_id, label=names.get(entry.organisation_id, ""), price=entry.price,
            received_at=bid.received_at if bid else None,
            files=tuple((f.get("name", ""), f.get("sha256", "")) for f in (entry.files or [])),
            documents=tuple(documents.get(entry.bid_id, ())),
            address=seen.address if seen else None, device_id=seen.device_id if seen else None,
            user_agent=seen.user_agent if seen else None, deposit_account=accounts.get(entry.organisation_id)))
    return out


def tender_documents(trade: Trade) -> set[str]:
    """Hashes of the tender's own published documents: bidders may attach those unchanged."""
    from trading.notices.models import Document

    return set(db.session.scalars(sa.select(Document.sha256).where(Document.trade_id == trade.id)))


# ---- screening ----------------------------------------------------------------------------------

def screen_trade(trade: Trade, actor=None, trigger: str = "request") -> Screening:
    """Run every screen over the trade's opened bids and keep the findings as flags."""
    read_metadata(trade)
    facts = bid_facts(trade)
    findings = screens.screen(facts, ignore_hashes=tender_documents(trade))
    at = now()
    existing = {f.key: f for f in db.session.scalars(sa.select(CollusionFlag).where(CollusionFlag.trade_id == trade.id))}
    found = set()
    for finding in findings:
        found.add(finding.key)
        flag = existing.get(finding.key)
        if flag is None:
            db.session.add(CollusionFlag(trade_id=trade.id, rule=finding.rule, clause=finding.clause, key=finding.key,
                                         organisation_ids=list(finding.organisation_ids), evidence=finding.evidence,
                                         first_seen_at=at, last_seen_at=at, current=True))
        else:
            flag.evidence, flag.last_seen_at, flag.current = finding.evidence, at, True
    for key, flag in existing.items():
        if key not in found and flag.current:
            flag.current = False
    run = Screening(trade_id=trade.id, at=at, actor_id=getattr(actor, "id", None), trigger=trigger,
                    bids=len(facts), flags=len(findings))
    db.session.add(run)
    db.session.flush()
    screened.send(trade, screening=run, actor=actor)
    return run


def on_ceremony_completed(trade: Trade, ceremony: OpeningCeremony, actor=None, **_kw) -> None:
    """At the opening: screen the bids just opened, in a savepoint so a failure never fails the opening
    (it is logged, and the committee or a supervisor can run the screens again)."""
    if ceremony.outcome not in DECRYPTED or not current_app.config.get("COLLUSION_AT_OPENING", True):
        return
    try:
        with db.session.begin_nested():
            screen_trade(trade, actor, trigger="opening")
    except Exception:  # noqa: BLE001  (the opening goes on; the screening can be run again)
        log.exception("collusion screening failed at the opening of trade %s", trade.id)


def request_screening(actor, trade: Trade) -> Screening:
    require("collusion.screen", trade, user=actor)
    return screen_trade(trade, actor, trigger="request")


# ---- reading and deciding -----------------------------------------------------------------------

def flags_of(trade: Trade) -> list[CollusionFlag]:
    return list(db.session.scalars(sa.select(CollusionFlag).where(CollusionFlag.trade_id == trade.id)
                                   .order_by(CollusionFlag.current.desc(), CollusionFlag.id)))


def flags_for(viewer, trade: Trade) -> list[CollusionFlag]:
    """The trade's flags, for a viewer who may see them (refused otherwise: 401/403)."""
    require("collusion.view", trade, user=viewer)
    return flags_of(trade)


def last_screening(trade: Trade) -> Screening | None:
    return db.session.scalar(sa.select(Screening).where(Screening.trade_id == trade.id)
                             .order_by(Screening.id.desc()).limit(1))


def flag_of(trade: Trade, flag_id: int) -> CollusionFlag | None:
    flag = db.session.get(CollusionFlag, flag_id)
    return flag if flag is not None and flag.trade_id == trade.id else None


def review_flag(actor, flag: CollusionFlag, decision: str | None, note: str | None) -> FlagReview:
    """A sitting member records what the committee did with a flag: dismissed, referred to the
    supervisors, or used in the review, with a note saying why. The flag itself disqualifies nobody."""
    trade = db.session.get(Trade, flag.trade_id)
    require("collusion.decide", trade, user=actor)
    errors: dict[str, list[str]] = {}
    try:
        chosen = FlagDecision(decision or "")
    except ValueError:
        chosen = None
        errors["decision"] = [_("choose dismissed, referred to the supervisors, or used in the review")]
    text = (note or "").strip()
    if not text:
        errors["note"] = [_("say what the committee found and why it decided so")]
    elif len(text) > MAX_NOTE:
        errors["note"] = [_("at most %(n)d characters", n=MAX_NOTE)]
    if errors:
        raise InvalidInput(errors)
    latest = flag.decision
    if latest is not None and latest.decision is chosen and latest.note == text:
        raise IllegalMove(_("This decision is already recorded."), code="already_recorded")
    review = FlagReview(flag=flag, trade_id=trade.id, decision=chosen, note=text, user_id=actor.id, at=now())
    db.session.add(review)
    db.session.flush()
    flag_reviewed.send(trade, review=review, actor=actor)
    return review


def names_of(trade: Trade, flags: list[CollusionFlag]) -> dict[int, str]:
    """The names of the companies the flags name (after the opening these are on the opening record)."""
    ids = {i for f in flags for i in f.organisation_ids}
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids))).all())


def install() -> None:
    """Connect the listeners: the submission's sightings and the opening's screening."""
    from bidding.ceremony.state import ceremony_completed
    from bidding.collusion import sightings

    sightings.install()
    ceremony_completed.connect(on_ceremony_completed)
