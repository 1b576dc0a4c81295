"""Texts the platform stores are rendered in the reader's language when read (trading.texts); rows
written before migration 0018 (no message) show their stored text as they always did."""
from __future__ import annotations

from datetime import datetime, timezone

from flask_babel import force_locale

from trading import texts
from trading.notices.models import Notice, NoticeKind, Notification
from trading.texts import N_


def test_a_notification_reads_in_the_readers_language_and_an_old_one_as_stored(db, published_trade, users):
    moved = datetime(2026, 3, 30, 1, 0, tzinfo=timezone.utc)
    message = {"subject": texts.message(N_("Clarification %(n)d to %(ref)s: %(title)s"), n=1,
                                        ref=published_trade.ref, title="工期调整"),
               "body": [texts.typed("工期改为300日。"), texts.typed(""),
                        texts.message(N_("The bid deadline has moved from %(old)s to %(new)s."),
                                      old=texts.at(moved), new=texts.at(moved))]}
    new = Notification(user_id=users["bidder"].id, trade_id=published_trade.id, kind="clarification",
                       subject="stored subject", body="stored body", message=message)
    old = Notification(user_id=users["bidder"].id, trade_id=published_trade.id, kind="clarification",
                       subject="旧的通知", body="写入时的文字")
    db.session.add_all([new, old])
    db.session.commit()

    with force_locale("en"):
        subject, body = new.shown()
        assert subject == f"Clarification 1 to {published_trade.ref}: 工期调整"  # the title as typed
        assert body == "工期改为300日。\n\nThe bid deadline has moved from 2026-03-30 09:00 to 2026-03-30 09:00."
        assert old.shown() == ("旧的通知", "写入时的文字")
    with force_locale("zh_CN"):
        subject, body = new.shown()
        assert subject == f"{published_trade.ref} 第1号澄清：工期调整"
        assert body.endswith("投标截止时间已由2026-03-30 09:00顺延至2026-03-30 09:00。")


def test_plural_messages_follow_the_count(db):
    stored = texts.message("%(num)d valid bid", plural="%(num)d valid bids", num=1)
    with force_locale("en"):
        assert texts.render(stored) == "1 valid bid"
        assert texts.render(dict(stored, num=2)) == "2 valid bids"


def test_a_notice_renders_its_milestones_in_the_readers_language(db, published_trade):
    notice = db.session.query(Notice).filter_by(trade_id=published_trade.id, kind=NoticeKind.ANNOUNCEMENT).one()
    with force_locale("en"):
        assert "Bid deadline: " in notice.shown_body and "投标截止时间" not in notice.shown_body
    with force_locale("zh_CN"):
        assert "投标截止时间：" in notice.shown_body
    assert "投标截止时间：" in notice.body  # the stored text stays in the platform's language
