"""E-mail subscriptions to a trade's clarifications: asked for at download, effective once confirmed.

Anyone can type any address into `?email=`, so an address counts only after its owner opened the
link mailed to it. The link carries a token signed with the app's secret (itsdangerous) that
expires after SUBSCRIPTION_CONFIRM_HOURS, read against the platform clock. An unconfirmed address
gets that one mail and nothing else; asking again while the link is still valid sends nothing, and
only after it expired does another request send a fresh one.
"""
from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for
from flask_babel import force_locale, get_locale, gettext as _
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from trading.clock import aware, now
from trading.errors import InvalidInput
from trading.extensions import db
from trading.mail import services as outbox
from trading.notices.models import Download, EmailSubscription
from trading.trades.models import Trade

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SALT = "email-subscription"
ENDPOINT = "portal.confirm_subscription"


class ClockSigner(TimestampSigner):
    """Timestamps from the platform clock, so link expiry follows it like every other deadline."""

    def get_timestamp(self) -> int:
        return int(now().timestamp())


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT, signer=ClockSigner)


def _lifetime() -> timedelta:
    return timedelta(hours=int(current_app.config["SUBSCRIPTION_CONFIRM_HOURS"]))


def normalise(email: str | None) -> str | None:
    """The address as stored (lower case), None when none was given; refuses a malformed one."""
    email = (email or "").strip()
    if not email:
        return None
    if len(email) > 254 or not EMAIL.match(email):
        raise InvalidInput({"email": [_("not a valid e-mail address")]})
    return email.lower()


def token_for(sub: EmailSubscription) -> str:
    return _serializer().dumps({"s": sub.id, "e": sub.email})


def confirm_url(sub: EmailSubscription) -> str:
    """The link in the mail: on PUBLIC_BASE_URL when set, else on the address the request came to."""
    values = {"token": token_for(sub)}
    base = current_app.config.get("PUBLIC_BASE_URL")
    if has_request_context():
        return (base.rstrip("/") + url_for(ENDPOINT, **values)) if base else url_for(ENDPOINT, _external=True, **values)
    path = current_app.url_map.bind("localhost").build(ENDPOINT, values)  # CLI work (the demo)
    return (base or "http://localhost").rstrip("/") + path


def request_subscription(trade: Trade, email: str, download: Download | None = None) -> EmailSubscription:
    """Ask for clarifications of `trade` by e-mail: mails a confirmation link unless one is still valid."""
    sub = db.session.scalar(sa.select(EmailSubscription).where(EmailSubscription.trade_id == trade.id,
                                                               EmailSubscription.email == email))
    if sub is not None and (sub.confirmed_at is not None or aware(sub.requested_at) + _lifetime() > now()):
        return sub  # confirmed already, or its link is still on its way: nothing more is sent
    if sub is None:
        sub = EmailSubscription(trade_id=trade.id, email=email)
        db.session.add(sub)
    sub.requested_at = now()
    sub.download_id = download.id if download is not None else sub.download_id
    db.session.flush()
    locale = str(get_locale() or "zh_CN")
    with force_locale(locale):
        subject = _("Confirm e-mail notices for %(ref)s", ref=trade.ref)
        body = _("Someone, probably you, asked to be told by e-mail about clarifications to %(ref)s "
                 "\"%(title)s\".\n\nTo confirm, open this link within %(h)d hours:\n%(url)s\n\n"
                 "If it was not you, ignore this mail: nothing else will be sent to this address.",
                 ref=trade.ref, title=trade.title, h=int(current_app.config["SUBSCRIPTION_CONFIRM_HOURS"]),
                 url=confirm_url(sub))
    outbox.queue(email, subject, body, locale=locale)
    return sub


def subscription_for(token: str) -> EmailSubscription:
    """The subscription a confirmation link names; refuses a forged, altered or expired link."""
    max_age = int(_lifetime().total_seconds())
    try:
        data = _serializer().loads(token, max_age=max_age)
    except SignatureExpired:
        raise InvalidInput({"token": [_("this confirmation link has expired; download the document again "
                                        "with your address to get a new one")]}) from None
    except BadSignature:
        raise InvalidInput({"token": [_("this confirmation link is not valid")]}) from None
    sub = db.session.get(EmailSubscription, data.get("s") if isinstance(data, dict) else None)
    if sub is None or sub.email != data.get("e"):
        raise InvalidInput({"token": [_("this confirmation link is not valid")]})
    return sub


def confirm(token: str) -> EmailSubscription:
    """The owner of the address confirmed: from now on it is told about the trade's clarifications."""
    sub = subscription_for(token)
    if sub.confirmed_at is None:
        sub.confirmed_at = now()
        if sub.download is not None and sub.download.contact_email is None:
            sub.download.contact_email = sub.email  # the downloaders list shows the confirmed address
        db.session.flush()
    return sub


def confirmed_addresses(trade: Trade) -> dict[str, int | None]:
    """Confirmed addresses of a trade, each with the signed-in downloader who left it (if any)."""
    rows = db.session.execute(
        sa.select(EmailSubscription.email, Download.user_id)
        .outerjoin(Download, Download.id == EmailSubscription.download_id)
        .where(EmailSubscription.trade_id == trade.id, EmailSubscription.confirmed_at.is_not(None))
    ).all()
    return {email: user_id for email, user_id in rows}
