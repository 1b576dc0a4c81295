"""The candidates' publicity (中标候选人公示, Reg 54): the `publicize` move publishes the first ranked
candidates (bidding.scoring.final_ranking) for the rule set's period, as a notice naming each company
and its price, and nothing else."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import force_locale

from bidding.award import rules
from bidding.award.models import Candidate, CandidateList, CandidateObjection
from bidding.scoring.services import final_ranking
from trading import texts
from trading.accounts.models import Organisation
from trading.extensions import db
from trading.notices.models import Notice, NoticeKind
from trading.pdf import yuan
from trading.texts import N_
from trading.trades.flows import TradeState
from trading.trades.models import Trade, TradeTransition


def current_list(trade: Trade) -> CandidateList | None:
    """The latest publication of the trade's candidates, or None."""
    return db.session.scalar(sa.select(CandidateList).where(CandidateList.trade_id == trade.id)
                             .order_by(CandidateList.id.desc()).limit(1))


def in_publicity(trade: Trade) -> bool:
    """The candidates are out and the trade has not moved past them (a pause for an objection counts)."""
    return trade.state is TradeState.PUBLICITY or (trade.state is TradeState.SUSPENDED
                                                   and trade.suspended_from is TradeState.PUBLICITY)


def open_objections(trade: Trade) -> list[CandidateObjection]:
    return list(db.session.scalars(sa.select(CandidateObjection).where(CandidateObjection.trade_id == trade.id,
                                                              CandidateObjection.answered_at.is_(None))
                                   .order_by(CandidateObjection.id)))


def paused_for_objection(trade: Trade) -> bool:
    """The trade's current suspension is the one an objection made (not a supervisor's)."""
    if trade.state is not TradeState.SUSPENDED:
        return False
    last = db.session.scalar(sa.select(TradeTransition.move).where(
        TradeTransition.trade_id == trade.id, TradeTransition.to_state == TradeState.SUSPENDED)
        .order_by(TradeTransition.id.desc()).limit(1))
    return last == "pause_for_objection"


def notice_message(trade: Trade, lst: CandidateList, names: dict[int, str]) -> dict:
    lines = [texts.message(N_("The evaluation committee of %(ref)s recommends these candidates, in rank order:"),
                           ref=trade.ref)]
    for c in lst.candidates:
        lines.append(texts.message(N_("%(rank)d. %(bidder)s, bid price %(price)s"), rank=c.rank,
                                   bidder=texts.typed(names[c.organisation_id]), price=yuan(c.price)))
    lines += [texts.typed(""),
              texts.message(N_("Publicity from %(start)s until %(end)s. Bidders and other interested parties may "
                               "object to the tenderer during the publicity (Tendering Regulation Art. 54)."),
                            start=texts.at(lst.published_at), end=texts.at(lst.publicity_ends))]
    return {"title": texts.message(N_("Candidates for award: %(title)s"), title=trade.title), "body": lines}


def publish_candidates(trade: Trade, actor, record: TradeTransition) -> CandidateList | None:
    """After the `publicize` move: the first `candidates_max` of the final ranking, public at once for
    the publicity period. A trade with no ranking on the platform (paper bids) publishes none here."""
    ranking = final_ranking(trade)
    if not ranking:
        return None
    at: datetime = record.at
    lst = CandidateList(trade_id=trade.id, published_at=at,
                        publicity_ends=rules.period_end(trade, "publicity_period", at),
                        published_by_id=getattr(actor, "id", None))
    for r in ranking[: int(rules.value(trade, "candidates_max"))]:
        lst.candidates.append(Candidate(trade_id=trade.id, rank=r.rank, organisation_id=r.organisation_id,
                                        bid_id=r.bid_id, entry_id=r.entry_id, price=r.price,
                                        evaluated_price=r.evaluated_price, total=r.total))
    db.session.add(lst)
    db.session.flush()
    names = dict(db.session.execute(sa.select(Organisation.id, Organisation.name).where(
        Organisation.id.in_([c.organisation_id for c in lst.candidates]))).all())
    message = notice_message(trade, lst, names)
    with force_locale("zh_CN"):  # the stored text, in the platform's official language
        title, body = texts.render(message["title"]), texts.render(message["body"])
    notice = Notice(trade=trade, kind=NoticeKind.CANDIDATES, title=title[:250], body=body, published_at=at,
                    message=message)
    db.session.add(notice)
    db.session.flush()
    lst.notice_id = notice.id
    return lst
