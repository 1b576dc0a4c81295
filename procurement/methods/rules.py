"""The numbers and sources the methods hold: invitees of an invitation tender, and the methods a failed
tender may change to. RULES.md's procurement table has no row for either yet: both marked "~"."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from trading.rules.model import Limit, Source

GPL_34 = Source("政府采购法 第34条", "Government Procurement Law Art. 34", "~",
                "an invitation tender invites three or more suppliers chosen at random from the qualified ones")
O87_14 = Source("财政部令第87号 第14条", "MOF Order 87 Art. 14", "~",
                "the qualified list comes from a prequalification notice, a supplier library, or the purchaser's "
                "written recommendation")
GPL_36 = Source("政府采购法 第36条；财政部令第87号 第43条", "Government Procurement Law Art. 36; MOF Order 87 Art. 43",
                "~", "after a tender fails for too few suppliers: tender again, or procure by another method with "
                "the approval recorded before that procurement starts")
O74_27 = Source("财政部令第74号 第27条", "MOF Order 74 Art. 27", "~",
                "two suppliers left in a tender of goods or services: competitive negotiation with them, approved")

#: an invitation tender invites at least this many (GPL 34)
MIN_INVITEES = Limit("min_invitees", 3, "suppliers", GPL_34,
                     _l("an invitation tender invites at least this many suppliers"))

#: a failed tender may go on by these methods once the decision branch approves (GPL 36; O87 43; O74 27)
CHANGES = {
    "gp_open_tender": ("gp_competitive_negotiation", "gp_competitive_consultation", "gp_single_source"),
    "gp_invited_tender": ("gp_competitive_negotiation", "gp_competitive_consultation", "gp_single_source"),
}
CHANGE_SOURCE = GPL_36
