"""The mail outbox against a real SMTP server on 127.0.0.1 (aiosmtpd): delivery in the recipient's
language, retries with backoff while the server is down, nothing lost and nothing sent twice."""
from __future__ import annotations

import socket
from datetime import timedelta
from email import message_from_bytes, policy
from email.header import decode_header, make_header

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from monitor import outbox
from monitor.cards.models import OutboxMail
from tests.monitor.cards.cards_fixtures import DEADLINE, SECOND, go, make_tender, tick, walk  # noqa: F401
from trading.clock import now


class Inbox:
    """An aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


class SMTPServer:
    """A real SMTP server on a fixed loopback port that a test can start and stop."""

    def __init__(self, port: int) -> None:
        self.port, self.inbox, self.controller = port, Inbox(), None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self):
        return self.inbox.messages


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    server = SMTPServer(_free_port())
    yield server
    server.stop()


@pytest.fixture
def app(make_app, smtp):
    return make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port, SMTP_TLS="none", MAIL_FROM="jiandu@platform.test",
                    MAIL_SEND_AFTER_COMMIT=False, PUBLIC_BASE_URL="https://trading.example.gov.cn")


def _subject(msg) -> str:
    return str(make_header(decode_header(msg["Subject"])))


def test_card_mail_reaches_the_server_in_each_recipients_language(db, users, make_tender, smtp):
    users["staff"].locale = "en"
    db.session.commit()
    trade = make_tender()
    go(DEADLINE + timedelta(minutes=20))
    walk(db, trade, users["staff"], "close")  # yellow: the opening has not started
    rows = db.session.scalars(sa.select(OutboxMail).order_by(OutboxMail.id)).all()
    assert {r.to_addr: r.locale for r in rows} == {"supervisor@test.invalid": "zh_CN", "staff@test.invalid": "en"}
    smtp.start()
    assert outbox.deliver_due() == {"sent": 2, "failed": 0}
    got = {m["To"]: m for m in smtp.messages}
    assert set(got) == {"supervisor@test.invalid", "staff@test.invalid"}
    english, chinese = got["staff@test.invalid"], got["supervisor@test.invalid"]
    assert english["Content-Language"] == "en" and chinese["Content-Language"] == "zh-CN"
    assert "opening time" in english.get_content() and "开标时间" in chinese.get_content()
    assert "https://trading.example.gov.cn/monitor/cards/" in english.get_content()
    assert _subject(english).startswith("[Yellow card] ")
    assert english["From"] == "jiandu@platform.test"
    assert {m["Message-ID"] for m in smtp.messages} == {r.message_id for r in rows}
    db.session.expire_all()
    assert all(r.sent_at == now() and r.attempts == 1 for r in db.session.scalars(sa.select(OutboxMail)))
    assert outbox.deliver_due() == {"sent": 0, "failed": 0}  # nothing twice
    assert len(smtp.messages) == 2


def _queue(db, n: int) -> list[int]:
    rows = [outbox.queue(f"person{i}@test.invalid", f"Notice {i}", f"Body {i}") for i in range(n)]
    db.session.commit()
    return [r.id for r in rows]


def _row(db, row_id) -> OutboxMail:
    db.session.expire_all()
    return db.session.get(OutboxMail, row_id)


def test_server_down_retries_with_backoff_and_loses_nothing(db, users, smtp, clock):
    a, b, c = _queue(db, 3)
    t0 = now()
    assert outbox.deliver_due() == {"sent": 0, "failed": 1}  # refused: the rest wait, unclaimed
    assert (_row(db, a).attempts, _row(db, a).next_attempt_at) == (1, t0 + timedelta(seconds=30))
    assert "Connection" in _row(db, a).last_error or "refused" in _row(db, a).last_error.lower()
    assert _row(db, b).attempts == 0 and _row(db, c).attempts == 0

    go(t0 + timedelta(seconds=29))
    outbox.deliver_due()  # a is not due yet; b is tried and fails
    assert _row(db, a).attempts == 1 and _row(db, b).attempts == 1
    go(t0 + timedelta(seconds=30))
    outbox.deliver_due()  # a's second failure: the next wait doubles
    assert (_row(db, a).attempts, _row(db, a).next_attempt_at) == (2, t0 + timedelta(seconds=90))

    smtp.start()
    go(t0 + timedelta(seconds=90) - SECOND)
    assert outbox.deliver_due() == {"sent": 2, "failed": 0}  # b and c; a waits for its turn
    assert _row(db, a).sent_at is None
    go(t0 + timedelta(seconds=90))
    assert outbox.deliver_due() == {"sent": 1, "failed": 0}
    assert outbox.deliver_due() == {"sent": 0, "failed": 0}
    assert sorted(_subject(m) for m in smtp.messages) == ["Notice 0", "Notice 1", "Notice 2"]
    assert sorted(m["Message-ID"] for m in smtp.messages) == sorted(_row(db, i).message_id for i in (a, b, c))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMail)) == 3  # nothing deleted


def test_the_tick_sends_and_a_rolled_back_step_sends_nothing(db, users, smtp, runner):
    outbox.queue("kept@test.invalid", "Kept", "kept")
    db.session.commit()
    outbox.queue("gone@test.invalid", "Gone", "rolled back")
    db.session.rollback()
    smtp.start()
    result = runner.invoke(args=["monitor", "tick"])
    assert result.exit_code == 0, result.output
    assert [m["To"] for m in smtp.messages] == ["kept@test.invalid"]


def test_after_commit_sender_delivers_without_waiting_for_the_tick(app, db, users, smtp):
    smtp.start()
    app.config["MAIL_SEND_AFTER_COMMIT"] = True
    row = outbox.queue("fast@test.invalid", "At once", "sent after commit")
    db.session.commit()
    outbox.wait_for_senders()
    assert [m["To"] for m in smtp.messages] == ["fast@test.invalid"]
    assert _row(db, row.id).sent_at is not None


def test_a_claimed_row_is_taken_by_one_sender_only(db, users, smtp):
    [row_id] = _queue(db, 1)
    assert outbox._claim(row_id) is True
    assert outbox._claim(row_id) is False  # the lease keeps a second sender off
    assert _row(db, row_id).attempts == 1
