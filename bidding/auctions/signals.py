"""What a sale's services announce (sender: the Trade): the audit log, e-supervision and the live views
listen; nothing here knows them."""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()
#: kwargs: registration, actor, what ("applied", "document", "qualified", "refused", "withdrawn")
registration_changed = _signals.signal("auction-registration-changed")
#: kwargs: quote (ListingQuote, accepted or refused), actor
quote_received = _signals.signal("auction-quote-received")
#: kwargs: terms, changes ({field: (old, new)}), actor: an amendment restarted the disclosure
terms_amended = _signals.signal("auction-terms-amended")
#: kwargs: change (IncrementChange), actor
increment_changed = _signals.signal("auction-increment-changed")
