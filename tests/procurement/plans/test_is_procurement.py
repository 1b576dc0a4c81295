"""One test of "is this a government procurement trade", in procurement.plans (the lowest procurement
sub-package), used by every other: it was written three ways (the method's "gp_" prefix in plans and challenges,
the rule set's kind in results)."""
from __future__ import annotations

from procurement.challenges import api as challenges_api, permissions as challenges_permissions
from procurement.challenges import services as challenges_services, views as challenges_views
from procurement.methods import budget
from procurement.plans import services as plans_services
from procurement.results import permissions as results_permissions, services as results_services, sme
from procurement.results import views as results_views
from trading.rules.model import registry


def test_every_procurement_package_asks_the_one_function():
    one = plans_services.is_procurement
    for module in (challenges_permissions, challenges_services, results_permissions, results_services, sme,
                   results_views, budget):
        assert module.is_procurement is one, module.__name__
    # the pages and the API of the filings ask through their service
    assert challenges_api.services.is_procurement is one and challenges_views.services.is_procurement is one


def test_the_method_prefix_and_the_rule_sets_kind_agree_for_every_method(app):
    """Why the prefix is enough: every registered method coded "gp_*" is of kind "procurement", and no other."""
    sets = registry.all()
    assert sum(1 for rs in sets if rs.kind == "procurement") == 6
    for rs in sets:
        assert rs.key.startswith("gp_") == (rs.kind == "procurement"), rs.key


def test_procurement_trades_and_others(gp_trade, make_trade, db):
    assert plans_services.is_procurement(gp_trade("gp_single_source"))
    assert plans_services.is_procurement(gp_trade("gp_open_tender", "3000000.00"))
    assert not plans_services.is_procurement(make_trade())  # a works tender
    assert not results_permissions.is_procurement(None) and not challenges_permissions.is_procurement(None)
