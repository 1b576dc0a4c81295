"""The mail outbox: e-mails queued in the causing transaction, sent by SMTP with retries, never lost.

`queue()` adds a row to the caller's transaction: if the card step rolls back, so does its mail.
`deliver_due()` sends what is due, one row at a time: it claims the row (attempts + 1, next attempt
pushed a lease ahead) and commits, sends, then marks it sent or schedules the next attempt with
exponential backoff. It runs on every supervision tick and, when a transaction that queued mail
commits, once more at once on a short-lived thread. Rows are never deleted.

Settings (trading/config.py): SMTP_HOST (unset: mail waits in the outbox), SMTP_PORT, SMTP_USER,
SMTP_PASSWORD, SMTP_TLS (none | starttls | ssl), SMTP_TIMEOUT, MAIL_FROM, MAIL_SEND_AFTER_COMMIT.
"""
from __future__ import annotations

import smtplib
import ssl
import threading
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime as rfc2822, make_msgid

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from monitor.cards.models import OutboxMail
from trading.clock import now
from trading.extensions import db

#: seconds before a claimed row may be claimed again if its sender died mid-way
LEASE_SECONDS = 300
BACKOFF_BASE = 30
BACKOFF_MAX = 3600

_senders: list[threading.Thread] = []
_senders_lock = threading.Lock()


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at an hour: a mail server down for a day still gets its mail."""
    return timedelta(seconds=min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_MAX))


def queue(to_addr: str, subject: str, body: str, *, locale: str = "zh_CN", user_id: int | None = None,
          session: Session | None = None) -> OutboxMail:
    """Queue one e-mail in the current transaction."""
    session = session or db.session
    domain = (current_app.config.get("MAIL_FROM") or "platform@localhost").rpartition("@")[2] or "localhost"
    row = OutboxMail(to_addr=to_addr[:254], subject=subject[:250], body=body, locale=locale[:10],
                     message_id=make_msgid(domain=domain), user_id=user_id, created_at=now(), attempts=0,
                     next_attempt_at=now())
    session.add(row)
    session.info["outbox_pending"] = True
    return row


def _message(row: OutboxMail) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = current_app.config.get("MAIL_FROM") or "platform@localhost"
    msg["To"] = row.to_addr
    msg["Subject"] = row.subject
    msg["Message-ID"] = row.message_id
    msg["Date"] = rfc2822(row.created_at)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(row.body)  # clears Content-* headers, so the language comes after
    msg["Content-Language"] = "zh-CN" if row.locale.startswith("zh") else row.locale.replace("_", "-")
    return msg


def _connect() -> smtplib.SMTP:
    cfg = current_app.config
    host, port = cfg["SMTP_HOST"], int(cfg.get("SMTP_PORT") or 25)
    timeout = float(cfg.get("SMTP_TIMEOUT") or 10)
    mode = (cfg.get("SMTP_TLS") or "starttls").lower()
    if mode == "ssl":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
        if mode == "starttls":
            smtp.starttls(context=ssl.create_default_context())
    if cfg.get("SMTP_USER"):
        smtp.login(cfg["SMTP_USER"], cfg.get("SMTP_PASSWORD") or "")
    return smtp


def _claim(row_id: int) -> bool:
    """Take a due row for this sender (one UPDATE, so two senders never both take it)."""
    at = now()
    table = OutboxMail.__table__
    result = db.session.execute(
        sa.update(table).where(table.c.id == row_id, table.c.sent_at.is_(None), table.c.next_attempt_at <= at)
        .values(attempts=table.c.attempts + 1, next_attempt_at=at + timedelta(seconds=LEASE_SECONDS)))
    db.session.commit()
    return result.rowcount == 1


def _finish(row_id: int, error: str | None) -> None:
    table = OutboxMail.__table__
    if error is None:
        values = {"sent_at": now(), "last_error": None}
    else:
        attempts = db.session.scalar(sa.select(table.c.attempts).where(table.c.id == row_id)) or 1
        values = {"next_attempt_at": now() + backoff(attempts), "last_error": error[:1000]}
    db.session.execute(sa.update(table).where(table.c.id == row_id).values(**values))
    db.session.commit()


def deliver_due(limit: int | None = None) -> dict:
    """Send the mail that is due; a failure leaves the row for a later attempt. Returns counts."""
    db.session.commit()  # start from a clean transaction: claims commit one by one
    if not current_app.config.get("SMTP_HOST"):
        waiting = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMail)
                                    .where(OutboxMail.sent_at.is_(None)))
        return {"sent": 0, "failed": 0, "waiting": waiting}
    limit = limit or int(current_app.config.get("MAIL_BATCH") or 50)
    ids = db.session.scalars(sa.select(OutboxMail.id).where(OutboxMail.sent_at.is_(None),
                                                            OutboxMail.next_attempt_at <= now())
                             .order_by(OutboxMail.id).limit(limit)).all()
    db.session.commit()
    sent = failed = 0
    smtp = None
    try:
        for row_id in ids:
            if not _claim(row_id):
                continue
            row = db.session.get(OutboxMail, row_id)
            try:
                if smtp is None:
                    smtp = _connect()
                smtp.send_message(_message(row))
            except (OSError, smtplib.SMTPException) as exc:
                db.session.rollback()
                _finish(row_id, f"{type(exc).__name__}: {exc}")
                failed += 1
                if smtp is None or isinstance(exc, (OSError, smtplib.SMTPServerDisconnected)):
                    break  # the server is unreachable: the rest wait for their next turn unclaimed
                continue
            _finish(row_id, None)
            sent += 1
    finally:
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
    return {"sent": sent, "failed": failed}


def _send_soon(app) -> None:
    def run():
        with app.app_context():
            try:
                deliver_due()
            except Exception:  # the tick retries; never let a sender thread take the app down
                app.logger.exception("sending queued mail failed")
                db.session.rollback()
            finally:
                db.session.remove()

    thread = threading.Thread(target=run, name="mail-outbox", daemon=True)
    with _senders_lock:
        _senders[:] = [t for t in _senders if t.is_alive()]
        _senders.append(thread)
    thread.start()


def _after_commit(session: Session) -> None:
    if not session.info.pop("outbox_pending", False) or not has_app_context():
        return
    cfg = current_app.config
    if cfg.get("SMTP_HOST") and cfg.get("MAIL_SEND_AFTER_COMMIT", True):
        _send_soon(current_app._get_current_object())


def wait_for_senders(timeout: float = 10.0) -> None:
    """Join the after-commit sender threads (tests, and a clean shutdown)."""
    with _senders_lock:
        threads = list(_senders)
    for thread in threads:
        thread.join(timeout)


def install() -> None:
    """Send right after a commit that queued mail (once per process)."""
    from flask_sqlalchemy.session import Session as FSASession

    if not sa.event.contains(FSASession, "after_commit", _after_commit):
        sa.event.listen(FSASession, "after_commit", _after_commit)
        sa.event.listen(FSASession, "after_soft_rollback", lambda s, _t: s.info.pop("outbox_pending", None))
