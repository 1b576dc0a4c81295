"""Signals the trading domain emits; audit, supervision and live views listen (nothing here listens)."""
from blinker import Namespace

_signals = Namespace()

#: sender=Trade; kwargs: move, old_state, new_state, actor (User|None), reason, at
trade_moved = _signals.signal("trade-moved")
#: sender=Trade; kwargs: actor
trade_created = _signals.signal("trade-created")
#: sender=Trade; kwargs: document, actor
document_uploaded = _signals.signal("document-uploaded")
#: sender=None; kwargs: day, kind (None when removed), name, actor, affected (trades whose timeline it touches)
calendar_changed = _signals.signal("calendar-changed")
#: sender=Trade; kwargs: changes {field: (old, new)}, actor
trade_edited = _signals.signal("trade-edited")
#: sender=Trade; kwargs: clarification, moved_deadline (old, new) or None, actor
clarification_published = _signals.signal("clarification-published")
#: sender=Trade; kwargs: download
document_downloaded = _signals.signal("document-downloaded")
#: sender=Trade; kwargs: viewer, what  (a sensitive read, e.g. the downloader list)
sensitive_read = _signals.signal("sensitive-read")

#: `session.info` key of {row: user} for rows a worker thread stores on someone's behalf (the bid
#: writer stores many uploads' bids in one flush): the audit log names each row's own actor
ROW_ACTORS = "row_actors"

#: sender=a model instance just flushed; the audit log answers with the index of the entry that
#: recorded it (a receipt cites it), or nobody answers when no log is installed
audit_position = _signals.signal("audit-position")


def audit_index_of(row) -> int | None:
    """Ask the listeners (the audit log) where `row`'s insertion was logged."""
    for _receiver, value in audit_position.send(row):
        if isinstance(value, int):
            return value
    return None
